/**
 * Context that makes an ambiguous value a detector hit: the JSON key a value sits under
 * (`"phone": "020 7946 0958"`, `"password": "..."`) or the words just before it in text
 * (`tel. 020 7946 0958`, `api_key=...`). National phone numbers, bare nine-digit SSNs and generic
 * secrets are only reported with such context; with it they are hard to miss.
 */

export const CTX_PHONE = 1;
export const CTX_SSN = 2;
export const CTX_SECRET = 4;

const PHONE_KEY = /(?:phone|mobile|tel|telephone|fax|cell|msisdn|whatsapp)(?:[_-]?(?:number|no|nr))?$/i;
const SSN_KEY = /(?:ssn|social[_-]?security(?:[_-]?(?:number|no))?|tax[_-]?id|tin)$/i;
const SECRET_KEY =
  /(?:^|[^a-z])(?:api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|secret(?:[_-]?(?:access[_-]?)?key)?|client[_-]?secret|(?:access|auth|refresh|id|bearer|session|api|private)?[_-]?token|passw(?:or)?d|passphrase|pwd|private[_-]?key|credentials?|authorization|connection[_-]?string|sas[_-]?token|account[_-]?key|signature)$/i;

const keyCache = new Map<string, number>();
const KEY_CACHE_MAX = 4096;

/** The context flags a JSON object key gives the value under it (cached: keys repeat). */
export function keyContext(key: string): number {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  // camelCase keys (apiKey, clientSecret) read like snake_case ones.
  const k = key.length > 64 ? '' : key.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  const flags = (PHONE_KEY.test(k) ? CTX_PHONE : 0) | (SSN_KEY.test(k) ? CTX_SSN : 0) | (SECRET_KEY.test(k) ? CTX_SECRET : 0);
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(key, flags);
  return flags;
}

const PHONE_WORDS = /(?:phone|tel|mobile|cell|fax|call|whatsapp|sms|contact|telefon|t[ée]l[ée]phone|tlf|ph)\b[^A-Za-z0-9]{0,6}(?:number|no|nr|#)?[^A-Za-z0-9]{0,4}$/i;
const SSN_WORDS = /(?:ssn|social security(?: number| no)?|ss#)[^A-Za-z0-9]{0,6}$/i;

/** Whether the text just before `start` names a phone number. */
export function phoneContextBefore(t: string, start: number): boolean {
  return PHONE_WORDS.test(t.slice(Math.max(0, start - 32), start));
}

/** Whether the text just before `start` names an SSN. */
export function ssnContextBefore(t: string, start: number): boolean {
  return SSN_WORDS.test(t.slice(Math.max(0, start - 32), start));
}

/** Keywords before `=` or `:` that make the value after it a secret (matched on the one word before). */
export const SECRET_WORDS =
  /(?:^|[_-])(?:api[_-]?key|apikey|access[_-]?key|secret(?:[_-]?key)?|client[_-]?secret|(?:access|auth|refresh|api|session)[_-]?token|token|passw(?:or)?d|passphrase|pwd|private[_-]?key)$/i;
const PASSWORD_WORDS = /(?:passw(?:or)?d|passphrase|pwd)$/i;

const isWordChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;

/** Whether the word just before `at` (a `=` or `:`, quotes and spaces skipped) is a secret keyword; 2 when it names a password. */
export function secretContextBefore(t: string, at: number): 0 | 1 | 2 {
  let e = at;
  while (e > 0 && at - e < 3 && (t.charCodeAt(e - 1) === 34 || t.charCodeAt(e - 1) === 39 || t.charCodeAt(e - 1) === 32)) e--;
  // Every keyword ends in y, t, n, d or e (key, secret, token, password, passphrase): most words
  // before a ':' (times, URLs, labels) stop here.
  const last = t.charCodeAt(e - 1) | 0x20;
  if (last !== 121 && last !== 116 && last !== 110 && last !== 100 && last !== 101) return 0;
  let s = e;
  while (s > 0 && e - s < 32 && isWordChar(t.charCodeAt(s - 1))) s--;
  if (e - s < 3) return 0;
  const word = t.slice(s, e);
  if (!SECRET_WORDS.test(word)) return 0;
  return PASSWORD_WORDS.test(word) ? 2 : 1;
}

const PLACEHOLDER = /^(?:\*+|x+|null|none|undefined|true|false|redacted|changeme|password|secret|example|\[REDACTED.*|\[HASH:.*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\})$/i;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) counts.set(s.charCodeAt(i), (counts.get(s.charCodeAt(i)) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Whether a value given in secret context looks like a real secret rather than prose or a placeholder. */
export function looksSecret(v: string, passwordish: boolean): boolean {
  if (v.length < 8 || v.length > 8192 || /\s/.test(v) || PLACEHOLDER.test(v)) return false;
  return entropy(v.length > 256 ? v.slice(0, 256) : v) >= (passwordish ? 2.0 : 3.0);
}
