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

/** Renders one masked value. `canonical` is what is hashed: the same value however it was written. */
export function render(style: MaskStyle, label: string, original: string, canonical: string, hashKey: Uint8Array | string): string {
  switch (style) {
    case 'redact':
      return `[REDACTED:${label}]`;
    case 'hash':
      return `[HASH:${label}:${createHmac('sha256', hashKey).update(canonical).digest('hex').slice(0, 8)}]`;
    case 'last4':
      return last4(original);
  }
}

function last4(original: string): string {
  const chars = Array.from(original); // code points: a surrogate pair is never split
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
