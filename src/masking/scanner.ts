/**
 * The built-in detectors as one scanner: a single pass of one trigger expression over a string
 * finds the few places worth a look (a digit, `@`, `:`, `=`, or the start of a known token such as
 * `eyJ`, `AKIA`, `-----BEGIN`), and each place is checked once by the detectors it can start.
 * Digits are consumed a whole run at a time, so text costs one quick pass plus a little work per
 * number. Matching happens on the folded text (normalize.ts); hits come back in original offsets.
 */
import { CTX_PHONE, CTX_SECRET, CTX_SSN, looksSecret, phoneContextBefore, secretContextBefore, ssnContextBefore } from './context.ts';
import { fold, toOriginalRange, type Folded } from './normalize.ts';
import { IBAN_LENGTHS, luhn, mod97, ssn as validSsn } from './validators.ts';

/** The built-in detector names, as obligations name them. */
export const BUILTIN_DETECTORS = ['credit_card', 'email', 'ssn', 'iban', 'phone', 'ip', 'secret'] as const;
export type BuiltinDetector = (typeof BUILTIN_DETECTORS)[number];

export const DET = { credit_card: 1, email: 2, ssn: 4, iban: 8, phone: 16, ip: 32, secret: 64 } as const satisfies Record<BuiltinDetector, number>;
export const ALL_BUILTIN = 127;

const NO_HITS: Hit[] = [];

/** One detector hit in the original string's offsets, with the folded text it matched. */
export interface Hit {
  readonly start: number;
  readonly end: number;
  readonly detector: string;
  /** The folded form of the hit (ASCII digits), for canonical hashing. */
  readonly folded: string;
}

// Every alternative matches exactly one character, so a match's position is lastIndex - 1 and
// `test` finds it without allocating a match. Letters start a check only where a known token
// (eyJ, AKIA, -----BEGIN, Bearer, ghp_, xoxb-, sk_live_) can start: ordinary prose rarely stops here.
const TRIGGER = /[0-9@:=_J]|A(?=KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|Iza)|-(?=----BEGIN)|[Bb](?=earer\s)|x(?=ox[abprs]-)/g;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || (c >= 97 && c <= 122);
/** Word characters for boundaries: ASCII alphanumerics, '_' and Latin letters (CJK text has no spaces). */
const isWordy = (c: number): boolean => isAlnum(c) || c === 95 || (c >= 0xc0 && c <= 0x24f);
// Separators inside a number: space, '-', '.', and for phones '(' and ')'.
const isSep = (c: number): boolean => c === 32 || c === 45 || c === 46 || c === 40 || c === 41;
const isCardSep = (c: number): boolean => c === 32 || c === 45 || c === 46;

interface Sink {
  readonly t: string;
  readonly f: Folded;
  readonly hits: Hit[];
}

function push(sink: Sink, start: number, end: number, detector: BuiltinDetector): void {
  const [s, e] = toOriginalRange(sink.f, start, end);
  sink.hits.push({ start: s, end: e, detector, folded: sink.t.slice(start, end) });
}

/**
 * Every built-in detector hit in `s` for the detectors in `enabled` (DET bits), given the context
 * flags of the key the string sits under. Hits may overlap; the caller resolves overlaps.
 */
export function scanBuiltins(s: string, enabled: number, ctx: number): Hit[] {
  if (enabled === 0 || s.length === 0) return NO_HITS;
  const f = fold(s);
  const t = f.text;
  const hits: Hit[] = [];
  const sink: Sink = { t, f, hits };
  if (ctx & CTX_SECRET && enabled & DET.secret && looksSecret(t.trim(), true)) {
    push(sink, 0, t.length, 'secret');
    return hits;
  }
  // Shared expression: scanning never re-enters itself, so one lastIndex is enough.
  const re = TRIGGER;
  re.lastIndex = 0;
  if (!re.test(t)) return NO_HITS;
  re.lastIndex -= 1;
  while (re.test(t)) {
    const p = re.lastIndex - 1;
    const c = t.charCodeAt(p);
    let next = p + 1;
    if (isDigit(c)) next = numeric(sink, p, enabled, ctx);
    else if (c === 64) next = email(sink, p, enabled);
    else if (c === 58) next = colon(sink, p, enabled);
    else if (c === 61) next = equals(sink, p, enabled);
    else if (enabled & DET.secret) next = token(sink, p, c);
    re.lastIndex = Math.max(next, p + 1);
  }
  return hits;
}

// ---------------------------------------------------------------- numbers

interface Group {
  start: number;
  end: number;
}

function numeric(sink: Sink, p: number, enabled: number, ctx: number): number {
  const t = sink.t;
  // IBAN: two capital letters right before the check digits.
  if (enabled & DET.iban && p >= 2 && isUpper(t.charCodeAt(p - 1)) && isUpper(t.charCodeAt(p - 2)) && !isWordy(t.charCodeAt(p - 3))) {
    const end = ibanAt(t, p - 2);
    if (end > 0) {
      push(sink, p - 2, end, 'iban');
      return end;
    }
  }
  // Measure the run first without allocating: most numbers in text (dates, times, counts, prices)
  // are too short for every numeric detector and cost only this loop.
  let digits = 0;
  let count = 0;
  let runEnd = p;
  for (let i = p; ; ) {
    let j = i;
    while (isDigit(t.charCodeAt(j))) j++;
    digits += j - i;
    count++;
    runEnd = j;
    let k = j;
    while (k < j + 3 && isSep(t.charCodeAt(k))) k++;
    if (k === j || !isDigit(t.charCodeAt(k)) || count >= 24) break;
    i = k;
  }
  // A number glued to letters (hex hashes, UUID parts, "v2") is not a value on its own.
  if (isWordy(t.charCodeAt(p - 1)) || isWordy(t.charCodeAt(runEnd))) return skipWord(t, runEnd);
  // Phones need 8 digits after '+' and 9 otherwise, SSNs 9, cards 13; an IPv4 address four groups.
  if (count < 4 && digits < 9 && !(digits === 8 && (t.charCodeAt(p - 1) === 43 || t.charCodeAt(p - 2) === 43))) return runEnd;
  const groups: Group[] = [];
  for (let i = p; i < runEnd; ) {
    let j = i;
    while (isDigit(t.charCodeAt(j))) j++;
    groups.push({ start: i, end: j });
    i = j;
    while (i < runEnd && !isDigit(t.charCodeAt(i))) i++;
  }

  const used: boolean[] = new Array<boolean>(groups.length).fill(false);
  if (enabled & DET.ip) ipv4(sink, groups, used);
  // After '+' a number is international dialling, never a card or an SSN.
  const dialled = t.charCodeAt(p - 1) === 43 || (t.charCodeAt(p - 1) === 40 && t.charCodeAt(p - 2) === 43);
  if (enabled & DET.credit_card && !dialled) cards(sink, groups, used);
  if (enabled & DET.ssn && !dialled) ssns(sink, groups, used, ctx);
  // A phone number is the run's leading groups that nothing else claimed.
  const free = used.indexOf(true);
  if (enabled & DET.phone && free !== 0) phone(sink, free < 0 ? groups : groups.slice(0, free), p, ctx);
  return runEnd;
}

/** Skips the rest of an alphanumeric word so its digits are not looked at one run at a time. */
function skipWord(t: string, from: number): number {
  let i = from;
  while (i < t.length && isAlnum(t.charCodeAt(i))) i++;
  return i;
}

const digitsOf = (t: string, gs: readonly Group[], a: number, b: number): string => {
  let d = '';
  for (let g = a; g <= b; g++) d += t.slice((gs[g] as Group).start, (gs[g] as Group).end);
  return d;
};

function ipv4(sink: Sink, gs: readonly Group[], used: boolean[]): void {
  const t = sink.t;
  for (let a = 0; a + 3 < gs.length; a++) {
    let ok = a === 0 || t.charCodeAt((gs[a] as Group).start - 1) !== 46;
    for (let g = a; ok && g < a + 4; g++) {
      const { start, end } = gs[g] as Group;
      const len = end - start;
      if (len < 1 || len > 3 || Number(t.slice(start, end)) > 255 || (len > 1 && t.charCodeAt(start) === 48)) ok = false;
      if (g > a && (start - (gs[g - 1] as Group).end !== 1 || t.charCodeAt(start - 1) !== 46)) ok = false;
    }
    const last = gs[a + 3] as Group;
    // 1.2.3.4.5 is a version, not an address.
    if (ok && t.charCodeAt(last.end) === 46 && isDigit(t.charCodeAt(last.end + 1))) ok = false;
    if (ok) {
      push(sink, (gs[a] as Group).start, last.end, 'ip');
      for (let g = a; g < a + 4; g++) used[g] = true;
      a += 3;
    }
  }
}

function cards(sink: Sink, gs: readonly Group[], used: boolean[]): void {
  const t = sink.t;
  for (let a = 0; a < gs.length; a++) {
    if (used[a]) continue;
    let total = 0;
    for (let b = a; b < gs.length && !used[b]; b++) {
      const g = gs[b] as Group;
      if (b > a && !onlyCardSeps(t, (gs[b - 1] as Group).end, g.start)) break;
      total += g.end - g.start;
      if (total > 19) break;
      if (total < 13) continue;
      const first = t.charCodeAt((gs[a] as Group).start);
      // Issuer ranges start with 2-6 (Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6).
      if (first >= 50 && first <= 54 && luhn(digitsOf(t, gs, a, b))) {
        push(sink, (gs[a] as Group).start, g.end, 'credit_card');
        for (let k = a; k <= b; k++) used[k] = true;
        a = b;
        break;
      }
    }
  }
}

function onlyCardSeps(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isCardSep(t.charCodeAt(i))) return false;
  return true;
}

function ssns(sink: Sink, gs: readonly Group[], used: boolean[], ctx: number): void {
  const t = sink.t;
  const len = (g: number) => (gs[g] as Group).end - (gs[g] as Group).start;
  for (let a = 0; a < gs.length; a++) {
    if (used[a]) continue;
    const start = (gs[a] as Group).start;
    if (a + 2 < gs.length && !used[a + 1] && !used[a + 2] && len(a) === 3 && len(a + 1) === 2 && len(a + 2) === 4) {
      const g1 = gs[a + 1] as Group;
      const sepsOk = g1.start - (gs[a] as Group).end === 1 && (gs[a + 2] as Group).start - g1.end === 1;
      if (sepsOk && isCardSep(t.charCodeAt(g1.start - 1)) && isCardSep(t.charCodeAt(g1.end)) && validSsn(digitsOf(t, gs, a, a + 2))) {
        push(sink, start, (gs[a + 2] as Group).end, 'ssn');
        used[a] = used[a + 1] = used[a + 2] = true;
        a += 2;
        continue;
      }
    }
    if (len(a) === 9 && (ctx & CTX_SSN || ssnContextBefore(t, start)) && validSsn(digitsOf(t, gs, a, a))) {
      push(sink, start, (gs[a] as Group).end, 'ssn');
      used[a] = true;
    }
  }
}

function phone(sink: Sink, gs: readonly Group[], p: number, ctx: number): void {
  const t = sink.t;
  let start = p;
  if (t.charCodeAt(start - 1) === 40) start--; // (
  const plus = t.charCodeAt(start - 1) === 43;
  if (plus) start--;
  if (plus && isWordy(t.charCodeAt(start - 1))) return;
  const g0 = gs[0] as Group;
  const nanpParens = !plus && t.charCodeAt(p - 1) === 40 && gs.length >= 3 && g0.end - g0.start === 3 && t.charCodeAt(g0.end) === 41;
  const withContext = !plus && !nanpParens && (ctx & CTX_PHONE || phoneContextBefore(t, start));
  if (!plus && !nanpParens && !withContext) return;
  // As many leading groups as a number of that kind can have digits (E.164: 15).
  const max = plus ? 15 : nanpParens ? 11 : 13;
  let digits = 0;
  let last = -1;
  for (let g = 0; g < gs.length; g++) {
    const len = (gs[g] as Group).end - (gs[g] as Group).start;
    if (digits + len > max) break;
    digits += len;
    last = g;
  }
  const min = plus ? 8 : nanpParens ? 10 : 9;
  if (last < 0 || digits < min) return;
  push(sink, start, (gs[last] as Group).end, 'phone');
}

function ibanAt(t: string, start: number): number {
  const country = t.slice(start, start + 2);
  const want = IBAN_LENGTHS[country];
  if (want === undefined) return 0;
  let have = 0;
  let i = start;
  let spaces = false;
  while (i < t.length && have < want) {
    const c = t.charCodeAt(i);
    if (isDigit(c) || isUpper(c)) {
      have++;
      i++;
    } else if (c === 32 && have >= 4 && isAlnum(t.charCodeAt(i + 1))) {
      spaces = true;
      i++;
    } else break;
  }
  if (have !== want || isAlnum(t.charCodeAt(i))) return 0;
  const compact = spaces ? t.slice(start, i).replaceAll(' ', '') : t.slice(start, i);
  return isDigit(compact.charCodeAt(2)) && isDigit(compact.charCodeAt(3)) && mod97(compact) ? i : 0;
}

// ---------------------------------------------------------------- email

const DOMAIN = /(?:[A-Za-z0-9\u00c0-\uffff](?:[A-Za-z0-9\u00c0-\uffff-]{0,61}[A-Za-z0-9\u00c0-\uffff])?\.)+[A-Za-z\u00c0-\uffff]{2,63}/y;
const isLocal = (c: number): boolean =>
  isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39 || (c >= 0xc0 && c !== 0xa0 && c < 0xd800);

function email(sink: Sink, at: number, enabled: number): number {
  if (!(enabled & DET.email)) return at + 1;
  const t = sink.t;
  let s = at;
  while (s > 0 && at - s < 64 && isLocal(t.charCodeAt(s - 1))) s--;
  while (s < at && t.charCodeAt(s) === 46) s++;
  if (s === at) return at + 1;
  DOMAIN.lastIndex = at + 1;
  const m = DOMAIN.exec(t);
  if (!m) return at + 1;
  const end = at + 1 + m[0].length;
  push(sink, s, end, 'email');
  return end;
}

// ---------------------------------------------------------------- ':' and '='

const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const IPV6 =
  /(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:|(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,5}(?::[0-9a-f]{1,4}){1,2}|(?:[0-9a-f]{1,4}:){1,4}(?::[0-9a-f]{1,4}){1,3}|(?:[0-9a-f]{1,4}:){1,3}(?::[0-9a-f]{1,4}){1,4}|(?:[0-9a-f]{1,4}:){1,2}(?::[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(?::[0-9a-f]{1,4}){1,6}|:(?::[0-9a-f]{1,4}){1,7}|::)(?::(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})?(?![0-9a-f:]|\.\d)/iy;
const SECRET_VALUE = /[ \t]*["']?([^\s"'`,;&<>]{8,512})/y;

function colon(sink: Sink, at: number, enabled: number): number {
  const t = sink.t;
  const before = t.charCodeAt(at - 1);
  const after = t.charCodeAt(at + 1);
  // "key: value" and "a:b" words: no hex digit or colon next to this colon, no address.
  if (enabled & DET.ip && (isHex(before) || before === 58 || isHex(after) || after === 58)) {
    let colons = 1;
    let letters = false;
    let double = before === 58 || after === 58;
    let s = at;
    while (s > 0 && at - s < 40) {
      const c = t.charCodeAt(s - 1);
      if (c === 58) colons++;
      else if (!isHex(c)) break;
      else if (c > 57) letters = true;
      s--;
    }
    let e = at + 1;
    while (e < t.length && e - s < 64) {
      const c = t.charCodeAt(e);
      if (c === 58) {
        colons++;
        if (t.charCodeAt(e - 1) === 58) double = true;
      } else if (c === 46 && isDigit(t.charCodeAt(e + 1))) {
        // the dotted tail of an IPv4-mapped address
      } else if (!isHex(c)) break;
      else if (c > 57) letters = true;
      e++;
    }
    // An address has '::', a hex letter, or all eight groups: times like 10:30:00 stop here.
    const plausible = colons >= 2 && (letters || double || colons >= 7);
    if (plausible && !isWordy(t.charCodeAt(s - 1)) && !isWordy(t.charCodeAt(e))) {
      IPV6.lastIndex = s;
      const m = IPV6.exec(t);
      // Whole run only: 10:30:00 and 00:1A:2B:3C:4D:5E are times and MAC addresses, not addresses.
      if (m && s + m[0].length === e && m[0] !== '::' && (m[0].includes('::') || m[0].split(':').length === 8)) {
        push(sink, s, e, 'ip');
        return e;
      }
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

function token(sink: Sink, p: number, c: number): number {
  const t = sink.t;
  if (c === 45) {
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
    if (!boundaryBefore(t, p)) return p + 1;
    BEARER.lastIndex = p;
    const m = BEARER.exec(t);
    const v = m?.[1];
    if (!m || v === undefined || !looksSecret(v, false)) return p + 1;
    const end = p + m[0].length;
    push(sink, end - v.length, end, 'secret');
    return end;
  }
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
  const prev = t.charCodeAt(p - 1);
  return !(isAlnum(prev) || prev === 95 || prev === 45);
}
