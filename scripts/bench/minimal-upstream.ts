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
  params?: { arguments?: { nonce?: unknown } };
}

const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
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
    let result: unknown;
    if (m.method === 'initialize') {
      headers['mcp-session-id'] = randomUUID();
      result = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'bench-minimal', version: '1' } };
    } else if (m.method === 'tools/call') {
      const nonce = m.params?.arguments?.nonce ?? null;
      result = { content: [{ type: 'text', text: `nonce ${String(nonce)}` }], structuredContent: { nonce } };
    } else {
      result = {};
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, result });
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(200, headers).end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
