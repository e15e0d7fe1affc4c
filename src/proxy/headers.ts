import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Header policy at the trust boundary. Upstream gets an allowlist of the client's headers plus the
 * connection's gateway-held headers: the client's Authorization, cookies and anything else not
 * listed never leave regate. The client gets the upstream's headers minus hop-by-hop ones, cookies
 * and challenges meant for the gateway's own credential.
 */

/** Client headers that carry MCP meaning and are forwarded as they are. */
const forwardedRequestHeaders = [
  'accept',
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'user-agent',
] as const;

/** Builds the upstream request headers for one call. */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  gateway: Readonly<Record<string, string>>,
  requestId: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of forwardedRequestHeaders) {
    const v = client[name];
    if (typeof v === 'string') out[name] = v;
  }
  // regate parses every response, so it asks for it uncompressed.
  out['accept-encoding'] = 'identity';
  out['x-request-id'] = requestId;
  for (const [k, v] of Object.entries(gateway)) out[k.toLowerCase()] = v;
  return out;
}

const droppedResponseHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'trailer',
  'te',
  'content-length',
  'content-encoding',
  'set-cookie',
  'www-authenticate',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
]);

/** Copies the upstream response headers that are safe and meaningful for the client. */
export function clientResponseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(upstream)) {
    if (v === undefined || droppedResponseHeaders.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** First value of a header, if present. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
