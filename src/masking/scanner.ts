/**
 * The built-in detectors as one scanner: a single pass over a string's bytes finds the few places
 * worth a look (a digit, `@`, `:`, `=`, or the start of a known token such as `eyJ`, `AKIA`,
 * `-----BEGIN`), and each place is checked once by the detectors it can start. Digits are consumed
 * a whole run at a time, so text costs one quick pass plus a little work per number. Matching
 * happens on the folded text (normalize.ts); hits come back in original offsets.
 *
 * Every shortcut here (a place dismissed from a byte or two, a run or word skipped whole) is a case
 * where the handler would have returned without a hit; test/unit/masking/scanner-differential.test.ts
 * checks the hits against the scanner before those shortcuts (test/helpers/scanner-oracle.ts).
 */
import { CTX_PHONE, CTX_SECRET, CTX_SSN, looksSecret, phoneContextBefore, secretContextBefore, ssnContextBefore } from './context.ts';
import { fold, needsFolding } from './normalize.ts';
import { IBAN_LENGTHS, luhnRange, ssn as validSsn } from './validators.ts';

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

// Where a look is worth it: '@', ':', '=', '_', the letters where a known token can start or be
// recognised (eyJ, AKIA, -----BEGIN, Bearer, ghp_, xoxb-, sk_live_), and digits; on unfolded
// text, also '\\' and anything beyond ASCII (it may need folding). Each place is first judged by a
// look at a byte or two, which dismisses most of them exactly where their handler would return at
// once without a hit; only the rest reach the handlers.
//
// The text is read as bytes: TextEncoder.encodeInto copies an ASCII string into a reused
// Uint8Array almost for free, and a loop over a typed array through a 256-entry class table runs
// about three times faster than charCodeAt (other strings are copied by hand, every code unit
// beyond ASCII as 0x80). A NUL byte after the text ends every inner loop without a bounds check.
// Handlers still read the string itself where they need the real characters.
const PLAIN = 0;
const DIGIT = 1;
const AT = 2;
const COLON = 3;
const EQUALS = 4;
const TOKEN = 5;
const BACKSLASH = 6;
const NON_ASCII = 7;
const END = 8;
const CLASS = new Uint8Array(256);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
CLASS[64] = AT;
CLASS[58] = COLON;
CLASS[61] = EQUALS;
for (const ch of '_-ABbxJ') CLASS[ch.charCodeAt(0)] = TOKEN;
CLASS[92] = BACKSLASH;
CLASS[0x80] = NON_ASCII;
CLASS[0] = END;

/** Byte tables: ASCII word characters (0x80 stands for any non-ASCII unit: look at the string), hex digits, number separators. */
const WORDY_B = new Uint8Array(256);
const HEX_B = new Uint8Array(256);
const HEX_DIGIT_B = new Uint8Array(256);
const ALNUM_B = new Uint8Array(256);
const LOCAL_B = new Uint8Array(256);
const DOMAIN_B = new Uint8Array(256);
const SEP_B = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  WORDY_B[c] = /[0-9A-Za-z_]/.test(ch) ? 1 : 0;
  HEX_B[c] = /[0-9A-Fa-f:]/.test(ch) ? 1 : 0; // with ':' (an address's runs are hex digits and colons)
  SEP_B[c] = / |-|\.|\(|\)/.test(ch) ? 1 : 0; // inside a number: space, '-', '.', and for phones '(' and ')'
  HEX_DIGIT_B[c] = /[0-9A-Fa-f]/.test(ch) ? 1 : 0;
  ALNUM_B[c] = /[0-9A-Za-z]/.test(ch) ? 1 : 0;
  LOCAL_B[c] = /[0-9A-Za-z._%+'-]/.test(ch) ? 1 : 0; // isLocal's ASCII part
  DOMAIN_B[c] = /[0-9A-Za-z-]/.test(ch) ? 1 : 0; // isDomainChar's ASCII part
}
const ENCODER = new TextEncoder();
/** Kept between calls up to this size; a longer text gets its own (a one-off allocation, small next to its scan). */
const KEEP_BYTES = 1 << 20;
let BYTES = new Uint8Array(4096);

const asciiCopied = (r: { read: number; written: number }, n: number): boolean => r.read === n && r.written === n;

/** `t` as bytes (ASCII as is, anything else 0x80), followed by a 0. */
function bytesOf(t: string): Uint8Array {
  const n = t.length;
  let b = BYTES;
  if (b.length <= n) {
    b = new Uint8Array(n < KEEP_BYTES ? Math.min(KEEP_BYTES, Math.max(n + 1, b.length * 2)) : n + 1);
    if (n < KEEP_BYTES) BYTES = b;
  }
  // Short strings (keys, most values) are copied by hand: cheaper than the call into encodeInto.
  // encodeInto wrote UTF-8 when it read or wrote other than n (it may stop early for lack of room).
  if (n <= 32 || !asciiCopied(ENCODER.encodeInto(t, b), n)) {
    for (let i = 0; i < n; i++) {
      const c = t.charCodeAt(i);
      b[i] = c < 0x80 ? c : 0x80;
    }
  }
  b[n] = 0;
  return b;
}

/** charCodeAt that reads 0 outside the string: V8 deoptimizes and slows a function that reads out of bounds. */
const cc = (t: string, i: number): number => (i >= 0 && i < t.length ? t.charCodeAt(i) : 0);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || (c >= 97 && c <= 122);
/** Word characters for boundaries: ASCII alphanumerics, '_' and Latin letters (CJK text has no spaces). */
const isWordy = (c: number): boolean => isAlnum(c) || c === 95 || (c >= 0xc0 && c <= 0x24f);
const isCardSep = (c: number): boolean => c === 32 || c === 45 || c === 46;

/** isWordy of the unit at `i` (false outside the text), from its byte unless it is beyond ASCII. */
function wordyAt(t: string, b: Uint8Array, i: number): boolean {
  if (i < 0) return false;
  const c = b[i] as number;
  return c === 0x80 ? isWordy(t.charCodeAt(i)) : WORDY_B[c] === 1;
}

/** The text being scanned, its map back to the original (when folded), and the hits so far. */
interface Sink {
  t: string;
  /** `t` as bytes (bytesOf). */
  b: Uint8Array;
  map: Int32Array | undefined;
  hits: Hit[] | undefined;
  /** A run of hex digits and colons already found not to be an address (times like 10:30:00). */
  notIpFrom: number;
  notIpTo: number;
}

// Scanning never re-enters itself, so one sink (like one lastIndex per expression) is enough, and
// a string without hits allocates nothing.
const NO_BYTES = new Uint8Array(1);
const SINK: Sink = { t: '', b: NO_BYTES, map: undefined, hits: undefined, notIpFrom: -1, notIpTo: -1 };

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
  const b = bytesOf(t);
  sink.t = t;
  sink.b = b;
  sink.map = map;
  sink.hits = undefined;
  sink.notIpFrom = sink.notIpTo = -1;
  const n = t.length;
  const secrets = (enabled & DET.secret) !== 0;
  const ips = (enabled & DET.ip) !== 0;
  let p = 0;
  for (;;) {
    let c = b[p] as number;
    let kind = CLASS[c] as number;
    while (kind === PLAIN) {
      c = b[++p] as number;
      kind = CLASS[c] as number;
    }
    if (p >= n) break;
    let next = p + 1;
    if (kind === DIGIT) {
      // The common numbers in text, decided here: digits glued to a word before them (not two
      // capitals: an IBAN), and a lone group of under eight digits (numberAt() returns both at once).
      // The rest of their word goes too (hashes, UUID parts): after a letter or digit, no token
      // starts (token() wants a boundary before it), and digits after two capitals are no IBAN
      // (gluedNumber wants a non-word character before the capitals), so nothing in it is a hit.
      const pb = p > 0 ? (b[p - 1] as number) : 0;
      let j = p + 1;
      while ((b[j] as number) - 48 >>> 0 < 10) j++;
      if (WORDY_B[pb] === 1 ? !(pb <= 90 && pb >= 65 && p >= 2 && isUpper(b[p - 2] as number) && j - p >= 2) : pb !== 0x80 && j - p < 8 && loneGroup(b, j)) {
        while (ALNUM_B[b[j] as number] === 1) j++;
        p = j;
        continue;
      }
      next = WORDY_B[pb] === 1 ? gluedNumber(sink, p, enabled) : numberAt(sink, p, j, enabled, ctx);
    }
    else if (kind === TOKEN) {
      if (secrets && tokenPlace(b, p, c)) next = token(sink, p, c);
    } else if (kind === COLON) {
      // A time (10:30:00) is passed over whole; an address needs a hex digit or a colon next to
      // this one; a secret, a keyword before it.
      const end = timeEnd(b, p);
      if (end > p) {
        p = end;
        continue;
      }
      if ((ips && (HEX_B[p > 0 ? (b[p - 1] as number) : 0] || HEX_B[b[p + 1] as number])) || (secrets && keywordEndBefore(b, p))) next = colon(sink, p, enabled);
    } else if (kind === EQUALS) {
      if (secrets && (KEY_NAME_ENDS.has(lastThree(b, p)) || keywordEndBefore(b, p))) next = equals(sink, p, enabled);
    } else if (kind === AT) next = email(sink, p, enabled);
    else if (kind === NON_ASCII || kind === BACKSLASH) {
      if (raw && needsFolding(t, p)) return undefined;
    }
    p = next > p ? next : p + 1;
  }
  const hits = sink.hits;
  sink.t = '';
  sink.b = NO_BYTES; // a long text's own buffer is not kept
  sink.hits = undefined;
  return hits ?? NO_HITS;
}

/**
 * Where the time whose first colon is at `j` ends, or `j` when it is not one that every handler
 * would pass over: digits right before the colon (at most 40, after a byte that is neither a hex
 * digit nor a colon), then digit groups of under eight digits joined by single colons (at most
 * six), the last one alone (no separator and digit after it, no hex letter or colon after it).
 * Its colons have a digit before them (no secret keyword ends in one), its run of hex digits and
 * colons has no letter, no '::' and under seven colons (colon() sees no address), and each group
 * after a colon is a lone number (numberAt() returns at once).
 */
function timeEnd(b: Uint8Array, j: number): number {
  let s = j;
  while (s > 0 && j - s <= 40 && (b[s - 1] as number) - 48 >>> 0 < 10) s--;
  if (s === j || j - s > 40 || (s > 0 && HEX_B[b[s - 1] as number] === 1)) return j;
  let k = j;
  let colons = 0;
  while (b[k] === 58 && (b[k + 1] as number) - 48 >>> 0 < 10) {
    let e = k + 2;
    while ((b[e] as number) - 48 >>> 0 < 10) e++;
    if (e - k - 1 >= 8 || ++colons > 6) return j;
    k = e;
  }
  return colons > 0 && HEX_B[b[k] as number] === 0 && loneGroup(b, k) ? k : j;
}

/** Whether the digit group ending at `j` is a run by itself: no digit after at most three separators. */
function loneGroup(b: Uint8Array, j: number): boolean {
  let k = j;
  while (k < j + 3 && SEP_B[b[k] as number] === 1) k++;
  return CLASS[b[k] as number] !== DIGIT;
}

// The last three letters (in lower case) of every word context.ts's SECRET_WORDS ends in: key,
// secret, token, password, passwd, passphrase, pwd; and of the names equals() looks for before
// '=' (sig, AccountKey, SharedAccessKey, SharedAccessSignature). Expressions with the i flag but
// no u flag match ASCII letters only by ASCII letters, so `| 0x20` on bytes is exact here.
const triple = (w: string): number => (w.charCodeAt(0) << 16) | (w.charCodeAt(1) << 8) | w.charCodeAt(2);
const SECRET_WORD_ENDS = new Set(['key', 'ret', 'ken', 'ord', 'swd', 'ase', 'pwd'].map(triple));
const KEY_NAME_ENDS = new Set(['sig', 'key', 'ure'].map(triple));
const lastThree = (b: Uint8Array, e: number): number =>
  e < 3 ? -1 : (((b[e - 3] as number) | 0x20) << 16) | (((b[e - 2] as number) | 0x20) << 8) | ((b[e - 1] as number) | 0x20);

/**
 * Whether the word before the ':' or '=' at `p` could be a secret keyword for
 * secretContextBefore (up to three quotes and spaces skipped, then a word of three or more
 * characters ending in one of SECRET_WORD_ENDS).
 */
function keywordEndBefore(b: Uint8Array, p: number): boolean {
  let e = p;
  while (e > 0 && p - e < 3) {
    const q = b[e - 1] as number;
    if (q !== 34 && q !== 39 && q !== 32) break;
    e--;
  }
  return SECRET_WORD_ENDS.has(lastThree(b, e));
}

/**
 * Whether a token letter at `p` could be where token() finds something: the checks token() makes
 * first, on bytes. '_' only inside a prefix a token expression can match at p-2, p-3 or p-6
 * (sk_live_/rk_live_, ghp_ and kin or eyJ, github_pat_ or AIza... or eyJ...).
 */
function tokenPlace(b: Uint8Array, p: number, c: number): boolean {
  const next = b[p + 1] as number;
  switch (c) {
    case 45: // -----BEGIN
      return next === 45;
    case 66: // Bearer
    case 98:
      return next === 101;
    case 65: // AKIA, ASIA, AGPA, AIDA, AROA, AIPA, ANPA, ANVA; AIza
      return next === 75 || next === 83 || next === 71 || next === 73 || next === 82 || next === 78;
    case 120: // xoxb-
      return next === 111;
    case 74: // eyJ
      return p >= 2 && b[p - 1] === 121 && b[p - 2] === 101;
    default: // '_'
      return underscorePlace(b, p);
  }
}

const startsAt = (b: Uint8Array, at: number, word: string): boolean => {
  if (at < 0) return false;
  for (let i = 0; i < word.length; i++) if (b[at + i] !== word.charCodeAt(i)) return false;
  return true;
};

function underscorePlace(b: Uint8Array, p: number): boolean {
  const c2 = p >= 2 ? (b[p - 2] as number) : 0;
  if ((c2 === 114 || c2 === 115) && b[p - 1] === 107) return true; // rk_, sk_
  if (startsAt(b, p - 3, 'eyJ') || startsAt(b, p - 6, 'eyJ') || startsAt(b, p - 6, 'github') || startsAt(b, p - 6, 'AIza')) return true;
  const c1 = p >= 1 ? (b[p - 1] as number) : 0;
  return startsAt(b, p - 3, 'gh') && (c1 === 112 || c1 === 111 || c1 === 117 || c1 === 115 || c1 === 114); // ghp_ gho_ ghu_ ghs_ ghr_
}

// ---------------------------------------------------------------- numbers

// The digit groups of the run being looked at (a run has at most MAX_GROUPS): start and end
// offsets, reused across calls so numbers cost no allocation. `used` is a bit mask of groups.
const MAX_GROUPS = 24;
const GS = new Int32Array(MAX_GROUPS);
const GE = new Int32Array(MAX_GROUPS);

/**
 * Looks at the number whose first digit group is [p, firstEnd), not glued to an ASCII word before
 * it (the scan loop decides those, and two capitals before digits go to gluedNumber); returns where
 * the scan goes on. A number is worth the detectors when its run (digit groups joined by at most
 * three of ` .()-`) has eight or more digits (cards, SSNs, phones) or starts with four dotted
 * groups of at most three digits (IPv4). The run is read once: a run that is worth nothing is
 * skipped whole, except from a later group where four dotted groups start (`1 2.3.4.5`), where the
 * scan goes on.
 */
function numberAt(sink: Sink, p: number, firstEnd: number, enabled: number, ctx: number): number {
  const t = sink.t;
  const b = sink.b;
  const pb = p > 0 ? (b[p - 1] as number) : 0;
  // After a Latin letter: part of that word (the caller took ASCII words and two capitals).
  if (pb === 0x80 && isWordy(t.charCodeAt(p - 1))) return firstEnd;
  let digits = 0;
  let n = 0;
  for (let i = p; ; ) {
    let j = i === p ? firstEnd : i + 1;
    while ((b[j] as number) - 48 >>> 0 < 10) j++;
    digits += j - i;
    GS[n] = i;
    GE[n] = j;
    n++;
    let k = j;
    while (k < j + 3 && SEP_B[b[k] as number] === 1) k++;
    if (k === j || CLASS[b[k] as number] !== DIGIT || n >= MAX_GROUPS) break;
    i = k;
  }
  const runEnd = GE[n - 1] as number;
  if (digits < 8 && !dottedQuad(b, 0, n)) {
    for (let g = 1; g + 3 < n; g++) if (dottedQuad(b, g, n)) return GS[g] as number;
    return runEnd;
  }
  // Glued to letters after it ("4111abc", a hash's digits): not a value on its own.
  const after = b[runEnd] as number;
  if (after === 0x80 ? isWordy(t.charCodeAt(runEnd)) : WORDY_B[after] === 1) return skipWord(sink.b, runEnd);
  // Most numbers in text (dates, times, counts, prices) are too short for every numeric detector:
  // phones need 8 digits after '+' and 9 otherwise, SSNs 9, cards 13; an IPv4 address four groups.
  const plus = pb === 43 || (pb === 40 && p >= 2 && b[p - 2] === 43);
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

/** Whether groups g..g+3 of the run are joined by single dots and the first three have 1-3 digits (a possible IPv4). */
function dottedQuad(b: Uint8Array, g: number, n: number): boolean {
  if (g + 3 >= n) return false;
  for (let k = g; k < g + 3; k++) {
    const e = GE[k] as number;
    if (e - (GS[k] as number) > 3 || (GS[k + 1] as number) !== e + 1 || b[e] !== 46) return false;
  }
  return true;
}

/** Digits right after two capitals: an IBAN when it checks out, else part of that word, which is skipped. */
function gluedNumber(sink: Sink, p: number, enabled: number): number {
  const t = sink.t;
  if (enabled & DET.iban && !wordyAt(t, sink.b, p - 3)) {
    const end = ibanAt(sink.b, p - 2);
    if (end > 0) {
      push(sink, p - 2, end, 'iban');
      return end;
    }
  }
  // A number glued to letters before it (hex hashes, UUID parts, "v2") is part of that word; only
  // the word is skipped, so a value after it ("ref1 4111 1111 1111 1111") is still looked at.
  return skipWord(sink.b, p);
}

/** Skips the rest of an alphanumeric word so its digits are not looked at one run at a time. */
function skipWord(b: Uint8Array, from: number): number {
  let i = from;
  while (ALNUM_B[b[i] as number] === 1) i++;
  return i;
}

const glen = (g: number): number => (GE[g] as number) - (GS[g] as number);

function ipv4(sink: Sink, n: number, used: number): number {
  const b = sink.b;
  for (let a = 0; a + 3 < n; a++) {
    let ok = a === 0 || b[(GS[a] as number) - 1] !== 46;
    for (let g = a; ok && g < a + 4; g++) {
      const start = GS[g] as number;
      // Joined by single dots (checked first: most runs of four groups are phones or dates).
      if (g > a && (start - (GE[g - 1] as number) !== 1 || b[start - 1] !== 46)) ok = false;
      const len = glen(g);
      if (!ok || len > 3) {
        ok = false;
        break;
      }
      let v = 0;
      for (let i = start; i < start + len; i++) v = v * 10 + (b[i] as number) - 48;
      if (v > 255 || (len > 1 && b[start] === 48)) ok = false;
    }
    const end = GE[a + 3] as number;
    // 1.2.3.4.5 is a version, not an address.
    if (ok && b[end] === 46 && CLASS[b[end + 1] as number] === DIGIT) ok = false;
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
    const first = sink.b[GS[a] as number] as number;
    // Issuer ranges start with 2-6 (Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6).
    if (first < 50 || first > 54) continue;
    let total = 0;
    for (let b = a; b < n && !(used & (1 << b)); b++) {
      if (b > a && !onlyCardSeps(sink.b, GE[b - 1] as number, GS[b] as number)) break;
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

function onlyCardSeps(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isCardSep(b[i] as number)) return false;
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
      const sepsOk = s1 - (GE[a] as number) === 1 && (GS[a + 2] as number) - e1 === 1 && isCardSep(sink.b[s1 - 1] as number) && isCardSep(sink.b[e1] as number);
      if (sepsOk && validSsn(t.slice(start, GE[a + 2] as number))) {
        push(sink, start, GE[a + 2] as number, 'ssn');
        used |= 0b111 << a;
        a += 2;
        continue;
      }
    }
    if (glen(a) === 9 && (ctx & CTX_SSN || (wordBefore(sink.b, start, 7, SSN_WORD_ENDS) && ssnContextBefore(t, start))) && validSsn(t.slice(start, GE[a] as number))) {
      push(sink, start, GE[a] as number, 'ssn');
      used |= 1 << a;
    }
  }
  return used;
}

// The last two letters of the words context.ts looks for before a number (PHONE_WORDS, SSN_WORDS):
// phone, tel, mobile, cell, fax, call, whatsapp, sms, contact, telefon, téléphone, tlf, ph and
// number, no, nr; ssn, security, number, no, ss#. A pair of lower-case letters as one number.
const pair = (w: string): number => (w.charCodeAt(0) << 8) | w.charCodeAt(1);
const PHONE_WORD_ENDS = new Set(['ne', 'el', 'le', 'll', 'ax', 'pp', 'ms', 'ct', 'on', 'lf', 'ph', 'er', 'no', 'nr'].map(pair));
const SSN_WORD_ENDS = new Set(['sn', 'ty', 'er', 'no', 'ss'].map(pair));

/**
 * Whether the text before `start` could end in one of those words: at most `gap` characters
 * other than ASCII letters and digits after it (the expressions allow up to 6 + '#' + 4 for
 * phones, '#' + 6 for SSNs) within their 32-character window. Spares the expression (which
 * tries every start in its window) for most numbers.
 */
function wordBefore(b: Uint8Array, start: number, gap: number, ends: ReadonlySet<number>): boolean {
  const lo = Math.max(0, start - 32);
  let i = start;
  while (i > lo && ALNUM_B[b[i - 1] as number] === 0) {
    i--;
    if (start - i > gap) return false;
  }
  if (i - lo < 2) return false;
  return ends.has((((b[i - 2] as number) | 0x20) << 8) | ((b[i - 1] as number) | 0x20));
}

/** A phone number made of the first `n` groups of the run starting at `p`. */
function phone(sink: Sink, n: number, p: number, ctx: number): void {
  const t = sink.t;
  let start = p;
  const b = sink.b;
  if (start > 0 && b[start - 1] === 40) start--; // (
  const plus = start > 0 && b[start - 1] === 43;
  if (plus) start--;
  if (plus && wordyAt(t, b, start - 1)) return;
  const nanpParens = !plus && p > 0 && b[p - 1] === 40 && n >= 3 && glen(0) === 3 && b[GE[0] as number] === 41;
  const withContext = !plus && !nanpParens && (ctx & CTX_PHONE || (wordBefore(sink.b, start, 11, PHONE_WORD_ENDS) && phoneContextBefore(t, start)));
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

/** Where the IBAN whose country letters are at `start` ends (0: none); read from the bytes, which end in a 0. */
function ibanAt(b: Uint8Array, start: number): number {
  const want = IBAN_TABLE[((b[start] as number) - 65) * 26 + ((b[start + 1] as number) - 65)];
  if (!want || !isDigit(b[start + 2] as number) || !isDigit(b[start + 3] as number)) return 0;
  // MOD 97-10 over the account part, then country and check digits, letters counting 10..35.
  let have = 4;
  let i = start + 4;
  let rem = 0;
  while (have < want) {
    const c = b[i] as number;
    if (isDigit(c)) rem = rem * 10 + (c - 48);
    else if (isUpper(c)) rem = rem * 100 + (c - 55);
    else if (c === 32 && ALNUM_B[b[i + 1] as number] === 1) {
      i++;
      continue;
    } else break;
    // Exact in a double up to 2^53: reduce only now and then (a modulo per digit costs more).
    if (rem >= 1e13) rem %= 97;
    have++;
    i++;
  }
  if (have !== want || ALNUM_B[b[i] as number] === 1) return 0;
  for (let k = start; k < start + 4; k++) {
    const c = b[k] as number;
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
  const b = sink.b;
  let s = at;
  while (s > 0 && at - s < 64) {
    const c = b[s - 1] as number;
    if (c === 0x80 ? !isLocal(t.charCodeAt(s - 1)) : LOCAL_B[c] === 0) break;
    s--;
  }
  while (s < at && b[s] === 46) s++;
  if (s === at) return at + 1;
  const end = domainEnd(t, b, at + 1);
  if (end < 0) return at + 1;
  push(sink, s, end, 'email');
  return end;
}

const isDomainChar = (c: number): boolean => isAlnum(c) || c === 45 || (c >= 0xc0 && c < 0xd800);
const isTldChar = (c: number): boolean => isUpper(c) || (c >= 97 && c <= 122) || (c >= 0xc0 && c < 0xd800);

/** Where a domain of at least two labels starting at `from` ends (-1: none); the last label is 2+ letters. */
function domainEnd(t: string, b: Uint8Array, from: number): number {
  let i = from;
  let labels = 0;
  let end = -1;
  for (;;) {
    const start = i;
    while (i - start < 63 && domainCharAt(t, b, i)) i++;
    if (i === start || b[start] === 45 || b[i - 1] === 45) break;
    labels++;
    if (labels >= 2 && i - start >= 2) {
      let tld = true;
      for (let k = start; k < i && tld; k++) {
        const c = b[k] as number;
        tld = c === 0x80 ? isTldChar(t.charCodeAt(k)) : (c | 0x20) >= 97 && (c | 0x20) <= 122;
      }
      if (tld) end = i;
    }
    if (b[i] !== 46 || !domainCharAt(t, b, i + 1)) break;
    i++;
  }
  return end;
}

/** isDomainChar of the unit at `i`, from its byte unless it is beyond ASCII. */
function domainCharAt(t: string, b: Uint8Array, i: number): boolean {
  const c = b[i] as number;
  return c === 0x80 ? isDomainChar(t.charCodeAt(i)) : DOMAIN_B[c] === 1;
}

// ---------------------------------------------------------------- ':' and '='

const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const IPV6 =
  /(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:|(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,5}(?::[0-9a-f]{1,4}){1,2}|(?:[0-9a-f]{1,4}:){1,4}(?::[0-9a-f]{1,4}){1,3}|(?:[0-9a-f]{1,4}:){1,3}(?::[0-9a-f]{1,4}){1,4}|(?:[0-9a-f]{1,4}:){1,2}(?::[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(?::[0-9a-f]{1,4}){1,6}|:(?::[0-9a-f]{1,4}){1,7}|::)(?::(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})?(?![0-9a-f:]|\.\d)/iy;
const SECRET_VALUE = /[ \t]*["']?([^\s"'`,;&<>]{8,512})/y;

function colon(sink: Sink, at: number, enabled: number): number {
  const t = sink.t;
  const b = sink.b;
  const before = at > 0 ? (b[at - 1] as number) : 0;
  const after = b[at + 1] as number;
  // "key: value" and "a:b" words: no hex digit or colon next to this colon, no address.
  // A later colon of a run judged already (whole, within the windows below) would be judged the same.
  const judged = at > sink.notIpFrom && at < sink.notIpTo && at - sink.notIpFrom < 40;
  if (enabled & DET.ip && !judged && (isHex(before) || before === 58 || isHex(after) || after === 58)) {
    let colons = 1;
    let letters = false;
    let double = before === 58 || after === 58;
    let s = at;
    while (s > 0 && at - s < 40) {
      const c = b[s - 1] as number;
      if (c === 58) colons++;
      else if (HEX_DIGIT_B[c] === 0) break;
      else if (c > 57) letters = true;
      s--;
    }
    let e = at + 1;
    while (e < t.length && e - s < 64) {
      const c = b[e] as number;
      if (c === 58) {
        colons++;
        if (b[e - 1] === 58) double = true;
      } else if (c === 46 && CLASS[b[e + 1] as number] === DIGIT) {
        // the dotted tail of an IPv4-mapped address
      } else if (HEX_DIGIT_B[c] === 0) break;
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
    const whole = HEX_B[s > 0 ? (b[s - 1] as number) : 0] === 0 && e - s < 64 && HEX_B[b[e] as number] === 0;
    if (whole) {
      sink.notIpFrom = s;
      sink.notIpTo = e;
    }
  }
  if (enabled & DET.secret && keywordEndBefore(b, at)) return secretAfter(sink, at);
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
