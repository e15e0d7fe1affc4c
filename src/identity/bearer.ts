import { AuthError } from './auth-error.ts';

/** Request headers as Node (and Express) expose them: lower-case names. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const bearerHeader = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Extracts the bearer token from the Authorization header, refusing a token in the query string
 * (`access_token`, RFC 6750 §2.3) even alongside a header: URLs end up in logs, proxies and browser
 * history, so such a token must be treated as leaked, never used.
 */
export function extractBearerToken(headers: HeaderBag, url: string): string {
  if (hasQueryToken(url)) {
    throw new AuthError('REGATE_ERR_AUTH_QUERY_TOKEN', 'remove access_token from the URL and send Authorization: Bearer <token>');
  }
  const raw = headers['authorization'];
  if (raw === undefined || raw === '') throw new AuthError('REGATE_ERR_AUTH_MISSING');
  if (typeof raw !== 'string') throw new AuthError('REGATE_ERR_AUTH_MALFORMED', 'more than one Authorization header');
  const match = bearerHeader.exec(raw);
  if (match === null) {
    const scheme = raw.split(' ', 1)[0] ?? '';
    if (scheme.toLowerCase() !== 'bearer') throw new AuthError('REGATE_ERR_AUTH_MISSING', `the Authorization scheme must be Bearer, not ${scheme.slice(0, 20)}`);
    throw new AuthError('REGATE_ERR_AUTH_MALFORMED', 'the Authorization header is not "Bearer <token>"');
  }
  return match[1] as string;
}

/** True when the URL's query has an `access_token` parameter (any case). */
export function hasQueryToken(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const params = new URLSearchParams(url.slice(q + 1).split('#', 1)[0]);
  for (const name of params.keys()) if (name.toLowerCase() === 'access_token') return true;
  return false;
}
