/**
 * TEST-ONLY ORACLE: a verbatim copy of src/masking/scanner.ts as of main 0255706 (the last
 * scanner whose hits the masking tests and the 600,000-string fuzz vouched for), kept so that
 * test/unit/masking/scanner-differential.test.ts can check that the faster scanner finds exactly
 * the same hits on generated text. Only the imports point back into src/masking; nothing else was
 * changed. Do not "fix" or speed up this file: its value is that it is the old behaviour.
 */
/**
 * The built-in detectors as one scanner: a single pass of one trigger expression over a string
 * finds the few places worth a look (a digit, `@`, `:`, `=`, or the start of a known token such as
 * `eyJ`, `AKIA`, `-----BEGIN`), and each place is checked once by the detectors it can start.
 * Digits are consumed a whole run at a time, so text costs one quick pass plus a little work per
 * number. Matching happens on the folded text (normalize.ts); hits come back in original offsets.
 */
import { CTX_PHONE, CTX_SECRET, CTX_SSN, looksSecret, phoneContextBefore, secretContextBefore, ssnContextBefore } from '../../src/masking/context.ts';
import { fold, needsFolding } from '../../src/masking/normalize.ts';
import { IBAN_LENGTHS, luhnRange, ssn as validSsn } from '../../src/masking/validators.ts';

/** The built-in detector names, as obligations name them. */
export const BUILTIN_DETECTORS = ['credit_card', 'email', 'ssn', 'iban', 'phone', 'ip', 'secret'] as const;
export type BuiltinDetector = (typeof BUILTIN_DETECTORS)[number];

export const DET = { credit_card: 1, email: 2, ssn: 4, iban: 8, phone: 16, ip: 32, secret: 64 } as const satisfies Record<BuiltinDetector, number>;
export const ALL_BUILTIN = 127;

const NO_HITS: readonly Hit[] = Object.freeze([]);

/** One detector hit, in the original string's offsets. */
export interface Hit {
  readonly start: number;
  readonly end: number;
  readonly detector: string;
}

// Where a look is worth it: '@', ':', '=', the letters where a known token can start or be
// recognised (eyJ, AKIA, -----BEGIN, Bearer, ghp_, xoxb-, sk_live_; token() checks the rest of the
// prefix before any regex runs), and the first digit of a number that some numeric detector could
// take: not glued to a word before it, eight or more digits joined by at most three separators
// (cards, SSNs, phones, account numbers) or four dotted groups (IPv4); or digits right after two
// capitals (an IBAN's check digits); numeric() still checks each rule. On unfolded text, also
// '\\' and anything beyond ASCII (it may need folding).
//
// One sticky expression skips to the next such place: runs of other characters and whole digit
// groups that cannot start a value (dates, times, counts, prices, versions, hex words) are
// consumed by irregexp, far faster than JavaScript reads characters, and JavaScript sees only the
// places themselves. It always matches (possibly nothing), so it never backtracks to find a match.
const WORDY_CLASS = '0-9A-Za-z_\\u00c0-\\u024f';
const NUMBER_START = `(?<![${WORDY_CLASS}])(?=[0-9](?:[ .()-]{0,3}[0-9]){7}|[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9])|(?<=[A-Z]{2})(?=[0-9]{2})`;
// The token letters are consumed too where token() would dismiss them at once (the same checks).
const NOT_TOKEN = '-(?!----BEGIN)|[Bb](?!earer)|A(?![KSGIRN])|x(?!ox)|(?<!ey)J';
const skipper = (others: string): RegExp => new RegExp(`(?:[^${others}@:=_JABbx0-9-]+|(?!${NUMBER_START})[0-9]+|${NOT_TOKEN})*`, 'y');
const SKIP = skipper('');
const SKIP_RAW = skipper('\\\\\\u0080-\\uffff');

/** charCodeAt that reads 0 outside the string: V8 deoptimizes and slows a function that reads out of bounds. */
const cc = (t: string, i: number): number => (i >= 0 && i < t.length ? t.charCodeAt(i) : 0);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || (c >= 97 && c <= 122);
/** Word characters for boundaries: ASCII alphanumerics, '_' and Latin letters (CJK text has no spaces). */
const isWordy = (c: number): boolean => isAlnum(c) || c === 95 || (c >= 0xc0 && c <= 0x24f);
// Separators inside a number: space, '-', '.', and for phones '(' and ')'.
const isSep = (c: number): boolean => c === 32 || c === 45 || c === 46 || c === 40 || c === 41;
const isCardSep = (c: number): boolean => c === 32 || c === 45 || c === 46;

/** The text being scanned, its map back to the original (when folded), and the hits so far. */
interface Sink {
  t: string;
  map: Int32Array | undefined;
  hits: Hit[] | undefined;
  /** A run of hex digits and colons already found not to be an address (times like 10:30:00). */
  notIpFrom: number;
  notIpTo: number;
}

// Scanning never re-enters itself, so one sink (like one lastIndex per expression) is enough, and
// a string without hits allocates nothing.
const SINK: Sink = { t: '', map: undefined, hits: undefined, notIpFrom: -1, notIpTo: -1 };

function push(sink: Sink, start: number, end: number, detector: BuiltinDetector): void {
  const m = sink.map;
  // The end maps to where the unit after the match starts, so a match covers whole originals.
  (sink.hits ??= []).push(m ? { start: m[start] as number, end: m[end] as number, detector } : { start, end, detector });
}

/**
 * Every built-in detector hit in `s` for the detectors in `enabled` (DET bits), given the context
 * flags of the key the string sits under. Hits may overlap; the caller resolves overlaps.
 */
export function scanBuiltins(s: string, enabled: number, ctx: number): readonly Hit[] {
  if (enabled === 0 || s.length === 0) return NO_HITS;
  if (ctx & CTX_SECRET && enabled & DET.secret) {
    const f = fold(s);
    if (looksSecret(f.text.trim(), true)) return [{ start: 0, end: s.length, detector: 'secret' }];
  }
  // The raw text first; the first character that needs folding (a Unicode digit, a full-width
  // form, a \u escape) restarts the scan on the folded text, which ASCII text never pays for.
  const raw = scanText(s, undefined, enabled, ctx, true);
  if (raw) return raw;
  const f = fold(s);
  return scanText(f.text, f.toOriginal, enabled, ctx, false) as readonly Hit[];
}

/** Scans `t` (the folded form of the original); undefined when `raw` and `t` turns out to need folding. */
function scanText(t: string, map: Int32Array | undefined, enabled: number, ctx: number, raw: boolean): readonly Hit[] | undefined {
  const sink = SINK;
  sink.t = t;
  sink.map = map;
  sink.hits = undefined;
  sink.notIpFrom = sink.notIpTo = -1;
  const re = raw ? SKIP_RAW : SKIP;
  const n = t.length;
  for (let at = 0; ; ) {
    re.lastIndex = at;
    re.test(t);
    const p = re.lastIndex;
    if (p >= n) break;
    const c = t.charCodeAt(p);
    let next = p + 1;
    if (c >= 0x80 || c === 92) {
      if (raw && needsFolding(t, p)) return undefined;
    } else if (isDigit(c)) next = numeric(sink, p, enabled, ctx);
    else if (c === 64) next = email(sink, p, enabled);
    else if (c === 58) next = colon(sink, p, enabled);
    else if (c === 61) next = equals(sink, p, enabled);
    else if (enabled & DET.secret) next = token(sink, p, c);
    at = Math.max(next, p + 1);
  }
  const hits = sink.hits;
  sink.t = '';
  sink.hits = undefined;
  return hits ?? NO_HITS;
}

// ---------------------------------------------------------------- numbers

// The digit groups of the run being looked at (a run has at most MAX_GROUPS): start and end
// offsets, reused across calls so numbers cost no allocation. `used` is a bit mask of groups.
const MAX_GROUPS = 24;
const GS = new Int32Array(MAX_GROUPS);
const GE = new Int32Array(MAX_GROUPS);

function numeric(sink: Sink, p: number, enabled: number, ctx: number): number {
  const t = sink.t;
  // IBAN: two capital letters right before the check digits.
  if (enabled & DET.iban && p >= 2 && isUpper(cc(t, p - 1)) && isUpper(cc(t, p - 2)) && !isWordy(cc(t, p - 3))) {
    const end = ibanAt(t, p - 2);
    if (end > 0) {
      push(sink, p - 2, end, 'iban');
      return end;
    }
  }
  // A number glued to letters before it (hex hashes, UUID parts, "v2") is part of that word; only
  // the word is skipped, so a value after it ("ref1 4111 1111 1111 1111") is still looked at.
  if (isWordy(cc(t, p - 1))) return skipWord(t, p);
  let digits = 0;
  let n = 0;
  for (let i = p; ; ) {
    let j = i;
    while (isDigit(cc(t, j))) j++;
    digits += j - i;
    GS[n] = i;
    GE[n] = j;
    n++;
    let k = j;
    while (k < j + 3 && isSep(cc(t, k))) k++;
    if (k === j || !isDigit(cc(t, k)) || n >= MAX_GROUPS) break;
    i = k;
  }
  const runEnd = GE[n - 1] as number;
  // Glued to letters after it ("4111abc", a hash's digits): not a value on its own.
  if (isWordy(cc(t, runEnd))) return skipWord(t, runEnd);
  // Most numbers in text (dates, times, counts, prices) are too short for every numeric detector:
  // phones need 8 digits after '+' and 9 otherwise, SSNs 9, cards 13; an IPv4 address four groups.
  const plus = cc(t, p - 1) === 43 || (cc(t, p - 1) === 40 && cc(t, p - 2) === 43);
  if (n < 4 && digits < 9 && !(digits === 8 && plus)) return runEnd;
  let used = 0;
  if (enabled & DET.ip && n >= 4) used = ipv4(sink, n, used);
  // After '+' a number is international dialling, never a card or an SSN.
  if (enabled & DET.credit_card && !plus && digits >= 13) used = cards(sink, n, used);
  if (enabled & DET.ssn && !plus && digits >= 9) used = ssns(sink, n, used, ctx);
  // A phone number is the run's leading groups that nothing else claimed.
  if (enabled & DET.phone && !(used & 1)) {
    let free = 0;
    while (free < n && !(used & (1 << free))) free++;
    phone(sink, free, p, ctx);
  }
  return runEnd;
}

/** Skips the rest of an alphanumeric word so its digits are not looked at one run at a time. */
function skipWord(t: string, from: number): number {
  let i = from;
  while (i < t.length && isAlnum(cc(t, i))) i++;
  return i;
}

const glen = (g: number): number => (GE[g] as number) - (GS[g] as number);

function ipv4(sink: Sink, n: number, used: number): number {
  const t = sink.t;
  for (let a = 0; a + 3 < n; a++) {
    let ok = a === 0 || cc(t, (GS[a] as number) - 1) !== 46;
    for (let g = a; ok && g < a + 4; g++) {
      const start = GS[g] as number;
      const len = glen(g);
      let v = 0;
      for (let i = start; i < start + len; i++) v = v * 10 + cc(t, i) - 48;
      if (len > 3 || v > 255 || (len > 1 && cc(t, start) === 48)) ok = false;
      if (g > a && (start - (GE[g - 1] as number) !== 1 || cc(t, start - 1) !== 46)) ok = false;
    }
    const end = GE[a + 3] as number;
    // 1.2.3.4.5 is a version, not an address.
    if (ok && cc(t, end) === 46 && isDigit(cc(t, end + 1))) ok = false;
    if (ok) {
      push(sink, GS[a] as number, end, 'ip');
      used |= 0b1111 << a;
      a += 3;
    }
  }
  return used;
}

function cards(sink: Sink, n: number, used: number): number {
  const t = sink.t;
  for (let a = 0; a < n; a++) {
    if (used & (1 << a)) continue;
    const first = cc(t, GS[a] as number);
    // Issuer ranges start with 2-6 (Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6).
    if (first < 50 || first > 54) continue;
    let total = 0;
    for (let b = a; b < n && !(used & (1 << b)); b++) {
      if (b > a && !onlyCardSeps(t, GE[b - 1] as number, GS[b] as number)) break;
      total += glen(b);
      if (total > 19) break;
      if (total < 13) continue;
      if (luhnRange(t, GS[a] as number, GE[b] as number)) {
        push(sink, GS[a] as number, GE[b] as number, 'credit_card');
        for (let k = a; k <= b; k++) used |= 1 << k;
        a = b;
        break;
      }
    }
  }
  return used;
}

function onlyCardSeps(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isCardSep(cc(t, i))) return false;
  return true;
}

function ssns(sink: Sink, n: number, used: number, ctx: number): number {
  const t = sink.t;
  for (let a = 0; a < n; a++) {
    if (used & (1 << a)) continue;
    const start = GS[a] as number;
    if (a + 2 < n && !(used & (0b110 << a)) && glen(a) === 3 && glen(a + 1) === 2 && glen(a + 2) === 4) {
      const s1 = GS[a + 1] as number;
      const e1 = GE[a + 1] as number;
      const sepsOk = s1 - (GE[a] as number) === 1 && (GS[a + 2] as number) - e1 === 1 && isCardSep(cc(t, s1 - 1)) && isCardSep(cc(t, e1));
      if (sepsOk && validSsn(t.slice(start, GE[a + 2] as number))) {
        push(sink, start, GE[a + 2] as number, 'ssn');
        used |= 0b111 << a;
        a += 2;
        continue;
      }
    }
    if (glen(a) === 9 && (ctx & CTX_SSN || ssnContextBefore(t, start)) && validSsn(t.slice(start, GE[a] as number))) {
      push(sink, start, GE[a] as number, 'ssn');
      used |= 1 << a;
    }
  }
  return used;
}

/** A phone number made of the first `n` groups of the run starting at `p`. */
function phone(sink: Sink, n: number, p: number, ctx: number): void {
  const t = sink.t;
  let start = p;
  if (cc(t, start - 1) === 40) start--; // (
  const plus = cc(t, start - 1) === 43;
  if (plus) start--;
  if (plus && isWordy(cc(t, start - 1))) return;
  const nanpParens = !plus && cc(t, p - 1) === 40 && n >= 3 && glen(0) === 3 && cc(t, GE[0] as number) === 41;
  const withContext = !plus && !nanpParens && (ctx & CTX_PHONE || phoneContextBefore(t, start));
  if (!plus && !nanpParens && !withContext) return;
  // As many leading groups as a number of that kind can have digits (E.164: 15).
  const max = plus ? 15 : nanpParens ? 11 : 13;
  let digits = 0;
  let last = -1;
  for (let g = 0; g < n; g++) {
    if (digits + glen(g) > max) break;
    digits += glen(g);
    last = g;
  }
  const min = plus ? 8 : nanpParens ? 10 : 9;
  if (last < 0 || digits < min) return;
  push(sink, start, GE[last] as number, 'phone');
}

/** IBAN length by country, indexed by the two letters (26 x 26); 0 = no IBAN. */
const IBAN_TABLE = new Uint8Array(26 * 26);
for (const [cc, len] of Object.entries(IBAN_LENGTHS)) IBAN_TABLE[(cc.charCodeAt(0) - 65) * 26 + (cc.charCodeAt(1) - 65)] = len;

function ibanAt(t: string, start: number): number {
  const want = IBAN_TABLE[(cc(t, start) - 65) * 26 + (cc(t, start + 1) - 65)];
  if (!want || !isDigit(cc(t, start + 2)) || !isDigit(cc(t, start + 3))) return 0;
  // MOD 97-10 over the account part, then country and check digits, letters counting 10..35.
  let have = 4;
  let i = start + 4;
  let rem = 0;
  while (i < t.length && have < want) {
    const c = cc(t, i);
    if (isDigit(c)) rem = rem * 10 + (c - 48);
    else if (isUpper(c)) rem = rem * 100 + (c - 55);
    else if (c === 32 && isAlnum(cc(t, i + 1))) {
      i++;
      continue;
    } else break;
    // Exact in a double up to 2^53: reduce only now and then (a modulo per digit costs more).
    if (rem >= 1e13) rem %= 97;
    have++;
    i++;
  }
  if (have !== want || isAlnum(cc(t, i))) return 0;
  for (let k = start; k < start + 4; k++) {
    const c = cc(t, k);
    rem = isDigit(c) ? rem * 10 + (c - 48) : rem * 100 + (c - 55);
    if (rem >= 1e13) rem %= 97;
  }
  return rem % 97 === 1 ? i : 0;
}

// ---------------------------------------------------------------- email

const isLocal = (c: number): boolean =>
  isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39 || (c >= 0xc0 && c !== 0xa0 && c < 0xd800);

function email(sink: Sink, at: number, enabled: number): number {
  if (!(enabled & DET.email)) return at + 1;
  const t = sink.t;
  let s = at;
  while (s > 0 && at - s < 64 && isLocal(cc(t, s - 1))) s--;
  while (s < at && cc(t, s) === 46) s++;
  if (s === at) return at + 1;
  const end = domainEnd(t, at + 1);
  if (end < 0) return at + 1;
  push(sink, s, end, 'email');
  return end;
}

const isDomainChar = (c: number): boolean => isAlnum(c) || c === 45 || (c >= 0xc0 && c < 0xd800);
const isTldChar = (c: number): boolean => isUpper(c) || (c >= 97 && c <= 122) || (c >= 0xc0 && c < 0xd800);

/** Where a domain of at least two labels starting at `from` ends (-1: none); the last label is 2+ letters. */
function domainEnd(t: string, from: number): number {
  let i = from;
  let labels = 0;
  let end = -1;
  for (;;) {
    const start = i;
    while (i < t.length && i - start < 63 && isDomainChar(cc(t, i))) i++;
    if (i === start || cc(t, start) === 45 || cc(t, i - 1) === 45) break;
    labels++;
    if (labels >= 2 && i - start >= 2) {
      let tld = true;
      for (let k = start; k < i && tld; k++) tld = isTldChar(cc(t, k));
      if (tld) end = i;
    }
    if (cc(t, i) !== 46 || !isDomainChar(cc(t, i + 1))) break;
    i++;
  }
  return end;
}

// ---------------------------------------------------------------- ':' and '='

const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const IPV6 =
  /(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:|(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,5}(?::[0-9a-f]{1,4}){1,2}|(?:[0-9a-f]{1,4}:){1,4}(?::[0-9a-f]{1,4}){1,3}|(?:[0-9a-f]{1,4}:){1,3}(?::[0-9a-f]{1,4}){1,4}|(?:[0-9a-f]{1,4}:){1,2}(?::[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(?::[0-9a-f]{1,4}){1,6}|:(?::[0-9a-f]{1,4}){1,7}|::)(?::(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})?(?![0-9a-f:]|\.\d)/iy;
const SECRET_VALUE = /[ \t]*["']?([^\s"'`,;&<>]{8,512})/y;

function colon(sink: Sink, at: number, enabled: number): number {
  const t = sink.t;
  const before = cc(t, at - 1);
  const after = cc(t, at + 1);
  // "key: value" and "a:b" words: no hex digit or colon next to this colon, no address.
  // A later colon of a run judged already (whole, within the windows below) would be judged the same.
  const judged = at > sink.notIpFrom && at < sink.notIpTo && at - sink.notIpFrom < 40;
  if (enabled & DET.ip && !judged && (isHex(before) || before === 58 || isHex(after) || after === 58)) {
    let colons = 1;
    let letters = false;
    let double = before === 58 || after === 58;
    let s = at;
    while (s > 0 && at - s < 40) {
      const c = cc(t, s - 1);
      if (c === 58) colons++;
      else if (!isHex(c)) break;
      else if (c > 57) letters = true;
      s--;
    }
    let e = at + 1;
    while (e < t.length && e - s < 64) {
      const c = cc(t, e);
      if (c === 58) {
        colons++;
        if (cc(t, e - 1) === 58) double = true;
      } else if (c === 46 && isDigit(cc(t, e + 1))) {
        // the dotted tail of an IPv4-mapped address
      } else if (!isHex(c)) break;
      else if (c > 57) letters = true;
      e++;
    }
    // An address has '::', a hex letter, or all eight groups: times like 10:30:00 stop here.
    const plausible = colons >= 2 && (letters || double || colons >= 7);
    if (plausible && !isWordy(cc(t, s - 1)) && !isWordy(cc(t, e))) {
      IPV6.lastIndex = s;
      const m = IPV6.exec(t);
      // Whole run only: 10:30:00 and 00:1A:2B:3C:4D:5E are times and MAC addresses, not addresses.
      if (m && s + m[0].length === e && m[0] !== '::' && (m[0].includes('::') || m[0].split(':').length === 8)) {
        push(sink, s, e, 'ip');
        return e;
      }
    }
    // Remember the run when both of its ends were found (not cut by a window).
    const whole = !isHex(cc(t, s - 1)) && cc(t, s - 1) !== 58 && e - s < 64 && !isHex(cc(t, e)) && cc(t, e) !== 58;
    if (whole) {
      sink.notIpFrom = s;
      sink.notIpTo = e;
    }
  }
  if (enabled & DET.secret) return secretAfter(sink, at);
  return at + 1;
}

const SAS_SIG = /sig$/i;
const AZURE_KEY = /(?:AccountKey|SharedAccessKey|SharedAccessSignature)$/i;
const SIG_VALUE = /[A-Za-z0-9%+/=_-]{16,}/y;
const KEY_VALUE = /[A-Za-z0-9+/=]{20,}/y;

function equals(sink: Sink, at: number, enabled: number): number {
  if (!(enabled & DET.secret)) return at + 1;
  const t = sink.t;
  const before = t.slice(Math.max(0, at - 24), at);
  const valueRe = SAS_SIG.test(before) ? SIG_VALUE : AZURE_KEY.test(before) ? KEY_VALUE : undefined;
  if (valueRe) {
    valueRe.lastIndex = at + 1;
    const m = valueRe.exec(t);
    if (m) {
      push(sink, at + 1, at + 1 + m[0].length, 'secret');
      return at + 1 + m[0].length;
    }
  }
  return secretAfter(sink, at);
}

function secretAfter(sink: Sink, at: number): number {
  const t = sink.t;
  const kind = secretContextBefore(t, at);
  if (kind === 0) return at + 1;
  SECRET_VALUE.lastIndex = at + 1;
  const m = SECRET_VALUE.exec(t);
  const v = m?.[1];
  if (!m || v === undefined || !looksSecret(v, kind === 2)) return at + 1;
  const end = at + 1 + m[0].length;
  push(sink, end - v.length, end, 'secret');
  return end;
}

// ---------------------------------------------------------------- known token shapes

const TOKENS: readonly RegExp[] = [
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/y, // JWT (alg none has an empty signature)
  /A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA)[A-Z0-9]{16}(?![A-Za-z0-9])/y, // AWS access key id
  /gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}/y,
  /xox[abprs]-[A-Za-z0-9-]{10,}/y,
  /[rs]k_live_[A-Za-z0-9]{16,}/y,
  /AIza[0-9A-Za-z_-]{35}/y,
];
const BEARER = /[Bb]earer\s+([A-Za-z0-9._~+/-]{16,}=*)/y;
const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/y;

const AWS_SECOND = new Set(['K', 'S', 'G', 'I', 'R', 'N']);

function token(sink: Sink, p: number, c: number): number {
  const t = sink.t;
  // Cheap prefix checks first: most triggering letters are just letters.
  if (c === 45) {
    if (!t.startsWith('-----BEGIN', p)) return p + 1;
    PEM_BEGIN.lastIndex = p;
    const m = PEM_BEGIN.exec(t);
    if (!m) return p + 1;
    const endMarker = `-----END ${m[1] ?? ''}PRIVATE KEY-----`;
    const e = t.indexOf(endMarker, p + m[0].length);
    // No end marker (truncated): everything after the header is key material.
    const end = e < 0 ? t.length : e + endMarker.length;
    push(sink, p, end, 'secret');
    return end;
  }
  if (c === 66 || c === 98) {
    if (!t.startsWith('earer', p + 1) || !boundaryBefore(t, p)) return p + 1;
    BEARER.lastIndex = p;
    const m = BEARER.exec(t);
    const v = m?.[1];
    if (!m || v === undefined || !looksSecret(v, false)) return p + 1;
    const end = p + m[0].length;
    push(sink, end - v.length, end, 'secret');
    return end;
  }
  if (c === 65 && !AWS_SECOND.has(t.charAt(p + 1))) return p + 1;
  if (c === 120 && !t.startsWith('ox', p + 1)) return p + 1;
  if (c === 74 && !(cc(t, p - 1) === 121 && cc(t, p - 2) === 101)) return p + 1;
  // 'J' of eyJ; '_' of ghp_, github_pat_, sk_live_; 'A' of AKIA and AIza; 'x' of xoxb-.
  const starts = c === 74 ? [p - 2] : c === 95 ? [p - 3, p - 6, p - 2] : [p];
  for (const s of starts) {
    if (s < 0 || !boundaryBefore(t, s)) continue;
    for (const re of TOKENS) {
      re.lastIndex = s;
      const m = re.exec(t);
      if (m) {
        push(sink, s, s + m[0].length, 'secret');
        return s + m[0].length;
      }
    }
  }
  return p + 1;
}

function boundaryBefore(t: string, p: number): boolean {
  const prev = cc(t, p - 1);
  return !(isAlnum(prev) || prev === 95 || prev === 45);
}
