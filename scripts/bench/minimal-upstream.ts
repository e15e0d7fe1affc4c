/** The cheapest possible JSON-mode MCP upstream, so the benchmark sees regate's cost, not the server's. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; params?: { arguments?: unknown } };
    if (m.id === undefined) return void res.writeHead(202).end();
    const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ok' }], structuredContent: { echoed: m.params?.arguments ?? null } } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
