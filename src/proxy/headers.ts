import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Header policy at the trust boundary. Upstream gets an allowlist of the client's headers plus the
 * connection's gateway-held headers: the client's Authorization, cookies and anything else not
 * listed never leave regate. The client gets an allowlist of the upstream's headers (MCP, content
 * type, caching): never cookies, challenges meant for the gateway's own credential, or headers that
 * describe the upstream's software and internals.
 */

/**
 * Client headers that carry MCP meaning and are forwarded as they are. Not `MCP-Protocol-Version`,
 * `Mcp-Method`, `Mcp-Name` or `Mcp-Param-*`: regate computes those from the message it forwards
 * (mcp/mcp-headers.ts `upstreamMcpHeaders`), since policy decided on the body and an upstream that
 * routes on headers must be told the same.
 */
const forwardedRequestHeaders = [
  'accept',
  'content-type',
  'mcp-session-id',
  'last-event-id',
  'user-agent',
] as const;

/** Builds the upstream request headers for one call; `mcp` are the `Mcp-*` headers regate computed. */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  gateway: Readonly<Record<string, string>>,
  requestId: string,
  mcp: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of forwardedRequestHeaders) {
    const v = client[name];
    if (typeof v === 'string') out[name] = v;
  }
  for (const [k, v] of Object.entries(mcp)) out[k.toLowerCase()] = v;
  // regate parses every response, so it asks for it uncompressed.
  out['accept-encoding'] = 'identity';
  out['x-request-id'] = requestId;
  for (const [k, v] of Object.entries(gateway)) out[k.toLowerCase()] = v;
  return out;
}

/**
 * The upstream response headers a client may see; everything else (server, x-powered-by,
 * set-cookie, www-authenticate, an upstream's internal headers) stays at regate. Framing headers
 * (content-length, transfer-encoding) are regate's own: it re-frames every body it relays.
 */
const allowedResponseHeaders: ReadonlySet<string> = new Set([
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'cache-control',
  'expires',
  'pragma',
  'etag',
  'last-modified',
  'vary',
  'retry-after',
]);

/** Copies the allow-listed upstream response headers (allowedResponseHeaders) for the client. */
export function clientResponseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(upstream)) {
    if (v !== undefined && allowedResponseHeaders.has(k)) out[k] = v;
  }
  return out;
}

/** First value of a header, if present. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
