import { isUrlKey, redactUrl } from './redact-url.ts';

/**
 * Returns a deep copy safe to print or log: every connection header value and every key that
 * looks like it holds a secret is replaced, and every URL-valued key loses its userinfo and query
 * (see redact-url.ts). Used by `regate config`, start-up logs and errors.
 */
export function redactConfig<T>(config: T): T {
  return redact(config, []) as T;
}

// `token` alone would hide settings such as token_ttl_seconds; secrets named *token are values.
const secretKey = /(secret|password|passwd|credential|private|api[_-]?key|hash_key|authorization|cookie|(^|_)token$)/i;
export const REDACTED = '[REDACTED]';

/** `scheme://user:password@` at the start of a URL (a Redis URL's credentials); the user goes too. */
const urlUserinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/i;

/**
 * A notifier's webhook URL is itself the secret (Slack's and Teams' carry it in the path, Teams'
 * also in `sig=`): only its origin is shown.
 */
function capabilityUrl(url: string): string {
  try {
    return `${new URL(url).origin}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}

function redact(value: unknown, path: readonly string[]): unknown {
  if (typeof value === 'string') return value.replace(urlUserinfo, '$1REDACTED@'); // the mark redactUrl uses
  if (Array.isArray(value)) return value.map((v) => redact(v, path));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const inHeaders = path[path.length - 1] === 'headers';
      if (inHeaders || (secretKey.test(k) && typeof v !== 'object')) out[k] = REDACTED;
      else if (typeof v === 'string' && isUrlKey(k) && path.includes('notify')) out[k] = capabilityUrl(v);
      else if (typeof v === 'string' && isUrlKey(k)) out[k] = redactUrl(v);
      else out[k] = redact(v, [...path, k]);
    }
    return out;
  }
  return value;
}
