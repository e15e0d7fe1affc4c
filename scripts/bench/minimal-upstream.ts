/**
 * The cheapest possible JSON-mode MCP upstream, so the benchmark sees the proxy's cost, not the
 * server's. It issues a session id on `initialize` (so a proxy's per-session policy sees the
 * load generator's session rotation) and answers `tools/call` with the call's `nonce` argument,
 * so the load generator can tell an answer that came from here from one a proxy made up.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Message {
  id?: number | string;
  method?: string;
  params?: { name?: unknown; arguments?: { nonce?: unknown }; _meta?: Record<string, unknown> };
}

/**
 * A 2026-07-28 request (it carries the `_meta` envelope) must say in its headers what its body
 * says, as a v2 SDK server requires; returns the mismatch, or undefined.
 */
function modernHeaderMismatch(m: Message, headers: http.IncomingHttpHeaders): string | undefined {
  if (m.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === undefined) return undefined;
  if (headers['mcp-method'] !== m.method) return `Mcp-Method ${String(headers['mcp-method'])} != ${String(m.method)}`;
  if (m.method === 'tools/call' && headers['mcp-name'] !== m.params?.name) return `Mcp-Name ${String(headers['mcp-name'])} != ${String(m.params?.name)}`;
  return undefined;
}

const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
  // DELETE ends a session (the load generator ends each one it replaces, as a client should).
  if (req.method === 'DELETE') return void req.resume().on('end', () => res.writeHead(200, { 'content-length': 0 }).end());
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let m: Message;
    try {
      m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message;
    } catch {
      return void res.writeHead(400).end();
    }
    if (m.id === undefined) return void res.writeHead(202).end();
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    const mismatch = modernHeaderMismatch(m, req.headers);
    if (mismatch !== undefined) {
      const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32020, message: `header mismatch: ${mismatch}` } });
      return void res.writeHead(400, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
    }
    const modern = m.params?._meta?.['io.modelcontextprotocol/protocolVersion'] !== undefined;
    let result: unknown;
    if (m.method === 'initialize') {
      headers['mcp-session-id'] = randomUUID();
      result = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'bench-minimal', version: '1' } };
    } else if (m.method === 'tools/call') {
      const nonce = m.params?.arguments?.nonce ?? null;
      result = { ...(modern ? { resultType: 'complete' } : {}), content: [{ type: 'text', text: `nonce ${String(nonce)}` }], structuredContent: { nonce } };
    } else {
      result = {};
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, result });
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(200, headers).end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
