/**
 * How a masked value is shown: `redact` -> `[REDACTED:label]`, `hash` -> `[HASH:label:ab12cd34]`
 * (HMAC-SHA256 of the value's canonical form with the configured key, first 8 hex digits, so
 * analysts can correlate one customer's card across calls without seeing it), `last4` -> every
 * letter and digit starred except the last four (or half, for values shorter than eight).
 */
import { createHmac } from 'node:crypto';
import { MASK_STYLES } from '../policy/decision.ts';

export type MaskStyle = (typeof MASK_STYLES)[number];

/** Strictness order: when two obligations cover one value, the stricter style wins. */
export const STRICTNESS: Readonly<Record<MaskStyle, number>> = { last4: 0, hash: 1, redact: 2 };

/** The stricter of two styles. */
export const stricter = (a: MaskStyle, b: MaskStyle): MaskStyle => (STRICTNESS[a] >= STRICTNESS[b] ? a : b);

const ALNUM = /[\p{L}\p{N}]/u;

/** A keyed hasher remembering recent values: the same values recur (a text twin, every page of a listing). */
export interface Hasher {
  (canonical: string): string;
}

/** An HMAC-SHA256 hasher (first 8 hex digits) with a bounded memory of recent values. */
export function createHasher(key: Uint8Array | string, remember = 1024): Hasher {
  const recent = new Map<string, string>();
  return (canonical) => {
    const known = recent.get(canonical);
    if (known !== undefined) return known;
    const h = createHmac('sha256', key).update(canonical).digest('hex').slice(0, 8);
    if (recent.size >= remember) recent.clear();
    recent.set(canonical, h);
    return h;
  };
}

const redactions = new Map<string, string>();

/** `[REDACTED:label]`, built once per label. */
export function redacted(label: string): string {
  let r = redactions.get(label);
  if (r === undefined) {
    r = `[REDACTED:${label}]`;
    if (redactions.size < 1024) redactions.set(label, r);
  }
  return r;
}

/** Renders one masked value. `canonical` is what is hashed: the same value however it was written. */
export function render(style: MaskStyle, label: string, original: string, canonical: string, hash: Hasher): string {
  switch (style) {
    case 'redact':
      return redacted(label);
    case 'hash':
      return `[HASH:${label}:${hash(canonical)}]`;
    case 'last4':
      return last4(original);
  }
}

const asciiAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function last4(original: string): string {
  if (/^[\x00-\x7f]*$/.test(original)) {
    let alnum = 0;
    for (let i = 0; i < original.length; i++) if (asciiAlnum(original.charCodeAt(i))) alnum++;
    let keep = Math.min(4, Math.floor(alnum / 2));
    let out = '';
    for (let i = original.length - 1; i >= 0; i--) {
      const c = original.charCodeAt(i);
      if (!asciiAlnum(c)) out = original[i] + out;
      else if (keep > 0) {
        out = original[i] + out;
        keep--;
      } else out = `*${out}`;
    }
    return out;
  }
  // Code points: a surrogate pair is never split.
  const chars = Array.from(original);
  let alnum = 0;
  for (const ch of chars) if (ALNUM.test(ch)) alnum++;
  let keep = Math.min(4, Math.floor(alnum / 2));
  const out: string[] = new Array<string>(chars.length);
  for (let i = chars.length - 1; i >= 0; i--) {
    const ch = chars[i] as string;
    if (!ALNUM.test(ch)) out[i] = ch;
    else if (keep > 0) {
      out[i] = ch;
      keep--;
    } else out[i] = '*';
  }
  return out.join('');
}

const NUMERIC = new Set(['credit_card', 'ssn', 'phone']);

/** The canonical form of a detector hit: digits only for numbers, upper-case compact IBANs, lower-case emails. */
export function canonical(detector: string, folded: string): string {
  if (NUMERIC.has(detector)) return folded.replace(/[^0-9+]/g, '');
  if (detector === 'iban') return folded.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  if (detector === 'email') return folded.toLowerCase();
  return folded;
}
