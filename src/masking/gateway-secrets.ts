/**
 * Removes the gateway's own secrets (a connection's credential) from a JSON value: an upstream
 * that echoes its request headers, or puts them in an error or a log notification, must not hand
 * the agent the credential regate holds for it. Pure; the value is returned as it is (same object)
 * when nothing matched, so the common case allocates nothing.
 */
export const GATEWAY_SECRET_MARK = '[REDACTED:gateway-credential]';

export interface ScrubResult {
  readonly value: unknown;
  readonly count: number;
}

function scrubString(s: string, secrets: readonly string[]): { s: string; n: number } {
  let out = s;
  let n = 0;
  for (const secret of secrets) {
    if (out.indexOf(secret) === -1) continue;
    const parts = out.split(secret);
    n += parts.length - 1;
    out = parts.join(GATEWAY_SECRET_MARK);
  }
  return { s: out, n };
}

/** `value` with every occurrence of each secret (in strings and object keys) replaced. */
export function scrubSecrets(value: unknown, secrets: readonly string[], depth = 0): ScrubResult {
  if (secrets.length === 0) return { value, count: 0 };
  if (typeof value === 'string') {
    const r = scrubString(value, secrets);
    return r.n === 0 ? { value, count: 0 } : { value: r.s, count: r.n };
  }
  if (value === null || typeof value !== 'object') return { value, count: 0 };
  // Deeper than any message regate parsed (max_json_depth): withheld whole rather than unscrubbed.
  if (depth > 1000) return { value: GATEWAY_SECRET_MARK, count: 1 };
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    let count = 0;
    for (let i = 0; i < value.length; i++) {
      const r = scrubSecrets(value[i], secrets, depth + 1);
      if (r.count > 0) {
        copy ??= value.slice();
        copy[i] = r.value;
        count += r.count;
      }
    }
    return copy === undefined ? { value, count: 0 } : { value: copy, count };
  }
  let copy: Record<string, unknown> | undefined;
  let count = 0;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = scrubString(k, secrets);
    const r = scrubSecrets(v, secrets, depth + 1);
    if (key.n > 0 || r.count > 0) {
      if (copy === undefined) copy = { ...(value as Record<string, unknown>) };
      if (key.n > 0) delete copy[k];
      copy[key.s] = r.value;
      count += key.n + r.count;
    }
  }
  return copy === undefined ? { value, count: 0 } : { value: copy, count };
}
