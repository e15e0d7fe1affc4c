/**
 * Hides the secrets a URL can carry (a SAS token or API key in its query, `user:pass@` in its
 * authority) before the URL is shown anywhere: /readyz, log lines, errors, `regate config`. The
 * scheme, host, port and path stay, so an operator can still tell which endpoint is meant.
 */

const MARK = 'REDACTED';

/** The URL with userinfo, query and fragment replaced by a marker; text that is not a URL is returned as it is. */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  // Paths (file sources, unix sockets) parse as URLs only with a scheme; plain paths were returned above.
  if (url.username === '' && url.password === '' && url.search === '' && url.hash === '') return value;
  const auth = url.username !== '' || url.password !== '' ? `${MARK}@` : '';
  const slashes = value.slice(url.protocol.length).startsWith('//') ? '//' : '';
  const query = url.search !== '' ? `?${MARK}` : '';
  const hash = url.hash !== '' ? `#${MARK}` : '';
  return `${url.protocol}${slashes}${auth}${url.host}${url.pathname}${query}${hash}`;
}

/** True for a config key whose value is a URL that may carry secrets (`url`, `bundle_url`, `endpoint`, ...). */
export function isUrlKey(key: string): boolean {
  return /url|uri|endpoint/i.test(key);
}

const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;

/** `text` with every URL in it redacted as by redactUrl (for error messages that quote a URL). */
export function redactUrlsIn(text: string): string {
  return text.replace(urlInText, (u) => redactUrl(u));
}

/**
 * A URL without its `user:pass@` part and the Basic Authorization header that part stood for:
 * fetch() refuses URLs with credentials, and the header is how HTTP sends them anyway.
 */
export function splitCredentials(value: string): { url: string; authorization?: string } {
  const url = new URL(value);
  if (url.username === '' && url.password === '') return { url: value };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.toString(), authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}
