/**
 * Returns a deep copy safe to print or log: every connection header value and every key that
 * looks like it holds a secret is replaced. Used by `regate config`, start-up logs and errors.
 */
export function redactConfig<T>(config: T): T {
  return redact(config, []) as T;
}

// `token` alone would hide settings such as token_ttl_seconds; secrets named *token are values.
const secretKey = /(secret|password|passwd|credential|private|api[_-]?key|hash_key|authorization|cookie|(^|_)token$)/i;
export const REDACTED = '[REDACTED]';

function redact(value: unknown, path: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, path));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const inHeaders = path[path.length - 1] === 'headers';
      out[k] = inHeaders || (secretKey.test(k) && typeof v !== 'object') ? REDACTED : redact(v, [...path, k]);
    }
    return out;
  }
  return value;
}
