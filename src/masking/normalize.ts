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

// Anything outside printable ASCII, or a backslash-u escape, takes the slow path; the rest is identity.
const NEEDS_FOLDING = /[^\x00-\x7f]|\\u[0-9a-fA-F]{4}/;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const SPACE_LIKE = /^[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$/;
const DASH_LIKE = /^[\u2010-\u2015\u2212\ufe58\ufe63]$/;
const ZERO_WIDTH = /^[\u00ad\u200b-\u200d\u2060\ufeff]$/;

const digitValues = new Map<number, number>();

/** The value of a Unicode decimal digit: Nd code points come in aligned runs of ten. */
function digitValue(cp: number): number {
  const known = digitValues.get(cp);
  if (known !== undefined) return known;
  let run = 0;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(cp - run - 1))) run++;
  const value = run % 10;
  digitValues.set(cp, value);
  return value;
}

/** Folds `s` for scanning; cheap (one regex test) when there is nothing to fold. */
export function fold(s: string): Folded {
  if (!NEEDS_FOLDING.test(s)) return { text: s };
  const out: string[] = [];
  const map: number[] = [];
  let i = 0;
  while (i < s.length) {
    let cp = s.codePointAt(i) as number;
    let width = cp > 0xffff ? 2 : 1;
    if (cp === 0x5c && s.charCodeAt(i + 1) === 0x75 && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
      // A JSON escape; a surrogate pair written as two escapes decodes to one code point.
      cp = parseInt(s.slice(i + 2, i + 6), 16);
      width = 6;
      if (cp >= 0xd800 && cp <= 0xdbff && s.startsWith('\\u', i + 6) && /^[dD][c-fC-F][0-9a-fA-F]{2}$/.test(s.slice(i + 8, i + 12))) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(s.slice(i + 8, i + 12), 16) - 0xdc00);
        width = 12;
      }
    }
    const folded = foldCodePoint(cp);
    if (folded !== '') {
      for (let k = 0; k < folded.length; k++) {
        out.push(folded[k] as string);
        map.push(i);
      }
    }
    i += width;
  }
  map.push(s.length);
  return { text: out.join(''), toOriginal: Int32Array.from(map) };
}

function foldCodePoint(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp);
  const ch = String.fromCodePoint(cp);
  if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCharCode(cp - 0xfee0);
  if (DECIMAL_DIGIT.test(ch)) return String.fromCharCode(0x30 + digitValue(cp));
  if (SPACE_LIKE.test(ch)) return ' ';
  if (DASH_LIKE.test(ch)) return '-';
  if (ZERO_WIDTH.test(ch)) return '';
  return ch;
}

/** Maps a folded [start, end) back to the original string's offsets. */
export function toOriginalRange(f: Folded, start: number, end: number): [number, number] {
  const m = f.toOriginal;
  if (!m) return [start, end];
  // The end maps to where the unit after the match starts, so a match covers whole originals.
  return [m[start] as number, m[end] as number];
}
