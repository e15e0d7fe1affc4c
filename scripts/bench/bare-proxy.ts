/**
 * The reference floor of the proxy benchmark: a bare Node reverse proxy, `node:http` server in
 * front of a keep-alive `node:http` client, piping bodies both ways without parsing them. Whatever
 * regate costs beyond this is regate's own work (auth, parsing, policy, logs, metrics).
 *
 *   node scripts/bench/bare-proxy.ts <upstream URL>   (prints "listening <URL>")
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.argv[2] ?? '');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
// Hop-by-hop headers are the connection's own and must not be copied (RFC 9110 7.6.1).
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

function copyHeaders(from: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined && !hopByHop.has(k)) out[k] = v;
  return out;
}

const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
  const out = http.request({
    host: upstream.hostname,
    port: upstream.port,
    path: upstream.pathname,
    method: req.method,
    agent,
    headers: copyHeaders(req.headers),
  });
  out.setNoDelay(true);
  out.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, copyHeaders(up.headers));
    up.pipe(res);
  });
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
