/**
 * Folds the ways a value can be written so that one ASCII scanner sees through them: every Unicode
 * decimal digit (full-width, Arabic-Indic, Devanagari, mathematical, ...) becomes its ASCII digit,
 * full-width ASCII becomes ASCII, exotic spaces and dashes become ' ' and '-', zero-width characters
 * vanish, and JSON `\uXXXX` escapes left in text (JSON that did not parse, logs) are decoded.
 *
 * The scanner matches on the folded text; `toOriginal` maps its offsets back so that a mask always
 * covers the original characters (a whole surrogate pair, a whole escape), never half of one.
 */

/** A folded string and the map from its offsets back to the original's. */
export interface Folded {
  readonly text: string;
  /** `toOriginal[i]` is the original offset of folded unit i; length text.length + 1. Absent: identity. */
  readonly toOriginal?: Int32Array;
}

const NEEDS_FOLDING = /[^\x00-\x7f]|\\u[0-9a-fA-F]{4}/;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Cache of what a non-ASCII code point folds to ('' = drop; undefined entry = itself). */
const folds = new Map<number, string | null>();

/** What code point `cp` (>= 0x80) folds to, or null when it stays itself. */
function foldOf(cp: number): string | null {
  const known = folds.get(cp);
  if (known !== undefined) return known;
  let r: string | null = null;
  if (cp >= 0xff01 && cp <= 0xff5e) r = String.fromCharCode(cp - 0xfee0);
  else if (cp === 0xa0 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x202f || cp === 0x205f || cp === 0x3000) r = ' ';
  else if ((cp >= 0x2010 && cp <= 0x2015) || cp === 0x2212 || cp === 0xfe58 || cp === 0xfe63) r = '-';
  else if (cp === 0xad || (cp >= 0x200b && cp <= 0x200d) || cp === 0x2060 || cp === 0xfeff) r = '';
  else if (DECIMAL_DIGIT.test(String.fromCodePoint(cp))) {
    // Nd code points come in aligned runs of ten: the value is the position in the run.
    let run = 0;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(cp - run - 1))) run++;
    r = String.fromCharCode(0x30 + (run % 10));
  }
  if (folds.size < 65_536) folds.set(cp, r);
  return r;
}

/** Whether the character at `i` (non-ASCII or a backslash) changes when folded. */
export function needsFolding(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c === 0x5c) return s.charCodeAt(i + 1) === 0x75 && HEX4.test(s.slice(i + 2, i + 6));
  if (c < 0x80) return false;
  if (c < 0x660 && c !== 0xa0 && c !== 0xad) return false; // Latin, Greek, Cyrillic, ...: no digits
  return foldOf(s.codePointAt(i) as number) !== null;
}

/** Folds `s` for scanning; cheap (one regex test) when there is nothing to fold. */
export function fold(s: string): Folded {
  if (!NEEDS_FOLDING.test(s)) return { text: s };
  const n = s.length;
  const map = new Int32Array(n + 1);
  const parts: string[] = [];
  let k = 0;
  let seg = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0x80 && c !== 0x5c) {
      map[k++] = i++;
      continue;
    }
    let cp = s.codePointAt(i) as number;
    let width = cp > 0xffff ? 2 : 1;
    if (c === 0x5c) {
      if (s.charCodeAt(i + 1) !== 0x75 || !HEX4.test(s.slice(i + 2, i + 6))) {
        map[k++] = i++;
        continue;
      }
      // A JSON escape; a surrogate pair written as two escapes decodes to one code point.
      cp = parseInt(s.slice(i + 2, i + 6), 16);
      width = 6;
      if (cp >= 0xd800 && cp <= 0xdbff && s.startsWith('\\u', i + 6) && /^[dD][c-fC-F][0-9a-fA-F]{2}$/.test(s.slice(i + 8, i + 12))) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(s.slice(i + 8, i + 12), 16) - 0xdc00);
        width = 12;
      }
    }
    const folded = cp < 0x80 ? String.fromCharCode(cp) : foldOf(cp);
    if (folded === null && width <= 2) {
      for (let u = 0; u < width; u++) map[k++] = i;
      i += width;
      continue;
    }
    const r = folded ?? String.fromCodePoint(cp);
    parts.push(s.slice(seg, i), r);
    for (let u = 0; u < r.length; u++) map[k++] = i;
    i += width;
    seg = i;
  }
  parts.push(s.slice(seg));
  map[k] = n;
  return { text: parts.join(''), toOriginal: map.subarray(0, k + 1) };
}

/** Maps a folded [start, end) back to the original string's offsets. */
export function toOriginalRange(f: Folded, start: number, end: number): [number, number] {
  const m = f.toOriginal;
  if (!m) return [start, end];
  // The end maps to where the unit after the match starts, so a match covers whole originals.
  return [m[start] as number, m[end] as number];
}
