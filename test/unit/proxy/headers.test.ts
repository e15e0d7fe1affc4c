import assert from 'node:assert/strict';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../../src/proxy/headers.ts';

describe('headers at the trust boundary', () => {
  const client = {
    authorization: 'Bearer client-token',
    cookie: 'session=abc',
    'proxy-authorization': 'Basic x',
    'x-forwarded-for': '10.0.0.1',
    'mcp-session-id': 's1',
    'mcp-protocol-version': '2025-06-18',
    'last-event-id': '42',
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'accept-encoding': 'gzip',
    'x-custom': 'nope',
  };

  it('sends the gateway credential upstream and never the client token or cookies', () => {
    const h = upstreamRequestHeaders(client, { Authorization: 'Bearer gateway' }, 'rid', {});
    assert.equal(h.authorization, 'Bearer gateway');
    assert.equal(h.cookie, undefined);
    assert.equal(h['proxy-authorization'], undefined);
    assert.equal(h['x-forwarded-for'], undefined);
    assert.equal(h['x-custom'], undefined);
  });

  it('drops the client token even when the connection has no credential of its own', () => {
    assert.equal(upstreamRequestHeaders(client, {}, 'rid', {}).authorization, undefined);
  });

  it('passes the MCP headers through (the computed ones, never the client\'s) and asks for an uncompressed response', () => {
    const h = upstreamRequestHeaders(client, {}, 'rid', { 'MCP-Protocol-Version': '2025-06-18' });
    assert.equal(h['mcp-session-id'], 's1');
    assert.equal(h['mcp-protocol-version'], '2025-06-18');
    assert.equal(h['last-event-id'], '42');
    assert.equal(h['accept-encoding'], 'identity');
    assert.equal(h['x-request-id'], 'rid');
  });

  it('never copies the client\'s MCP-Protocol-Version, Mcp-Method, Mcp-Name or Mcp-Param-* headers', () => {
    const forged = { ...client, 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'mcp-param-region': 'eu' };
    assert.deepEqual(
      Object.keys(upstreamRequestHeaders(forged, {}, 'rid', {})).filter((k) => k.startsWith('mcp-') && k !== 'mcp-session-id'),
      [],
    );
    const h = upstreamRequestHeaders(forged, {}, 'rid', { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'delete_customer' });
    assert.equal(h['mcp-name'], 'delete_customer');
    assert.equal(h['mcp-protocol-version'], '2026-07-28');
    assert.equal(h['mcp-param-region'], undefined);
  });

  it('keeps the session id but not cookies or challenges on the way back', () => {
    const h = clientResponseHeaders({
      'mcp-session-id': 's1',
      'set-cookie': ['a=b'],
      'www-authenticate': 'Bearer',
      'content-type': 'text/event-stream',
      'transfer-encoding': 'chunked',
    });
    assert.deepEqual(h, { 'mcp-session-id': 's1', 'content-type': 'text/event-stream' });
  });

  it('passes only allow-listed response headers: MCP, content type, caching', () => {
    const h = clientResponseHeaders({
      'content-type': 'application/json',
      'mcp-session-id': 's1',
      'mcp-protocol-version': '2025-06-18',
      'cache-control': 'no-store',
      server: 'internal-app/1.2',
      'x-powered-by': 'Express',
      'x-internal-host': 'db-7.corp.internal',
      'access-control-allow-origin': '*',
      'content-length': '10',
    });
    assert.deepEqual(h, { 'content-type': 'application/json', 'mcp-session-id': 's1', 'mcp-protocol-version': '2025-06-18', 'cache-control': 'no-store' });
  });
});
