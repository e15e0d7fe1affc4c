import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConfig } from '../../../src/config/load.ts';
import type { ConnectionConfig } from '../../../src/config/schema.ts';
import type { RegateError } from '../../../src/errors.ts';
import { createUpstream, type Upstream } from '../../../src/proxy/upstream.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { freePort } from '../../helpers/ports.ts';

/**
 * The forwarder on its own, between a real client and a real upstream: what it sends, how it
 * fails, and how the two sides' lifetimes are tied together.
 */
describe('upstream forwarder (node:http, keep-alive, TCP_NODELAY)', function () {
  this.timeout(20_000);
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  function connection(url: string, timeouts: Record<string, number> = {}, headers: Record<string, string> = {}): ConnectionConfig {
    const config = buildConfig({ listen: { host: '127.0.0.1', port: 0 }, connections: [{ name: 'c', url, headers, timeouts }] }, {});
    return config.connections[0]!;
  }

  /** A front server whose only job is `upstream.forward`; the outcome of each job is recorded. */
  async function front(c: ConnectionConfig, body: Buffer | undefined, headers: Record<string, string> = { accept: 'application/json' }, maxSockets?: number) {
    const upstream: Upstream = createUpstream(c, maxSockets !== undefined ? { maxSockets } : {});
    const outcomes: Array<{ error?: RegateError; status?: number }> = [];
    const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      upstream.forward(req, res, {
        target: new URL(c.url),
        headers,
        body,
        onResponse: (up) => {
          outcomes.push({ status: up.statusCode ?? 0 });
          res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'text/plain' });
          up.pipe(res);
        },
        onError: (error) => {
          outcomes.push({ error });
          res.writeHead(error.status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: error.code }));
        },
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      upstream.close();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/anything?x=1`, outcomes };
  }

  async function raw(handler: Parameters<typeof startRawUpstream>[0]): Promise<RawUpstream> {
    const u = await startRawUpstream(handler);
    closers.push(() => u.close());
    return u;
  }

  it('sends exactly the computed headers, the target path and the body with its exact length', async () => {
    const up = await raw((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const c = connection(`${up.url}?tenant=a`);
    const f = await front(c, Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}'), { 'content-type': 'application/json', authorization: 'Bearer gateway' });
    const res = await fetch(f.url, { method: 'POST', headers: { authorization: 'Bearer agent', cookie: 'a=b', 'x-forwarded-for': '1.2.3.4' }, body: 'ignored' });
    assert.equal(res.status, 200);
    const seen = up.seen.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/mcp?tenant=a', "the connection's URL, not the client's path");
    assert.equal(seen.body, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    assert.equal(seen.headers.authorization, 'Bearer gateway');
    assert.equal(seen.headers['content-length'], String(seen.body.length));
    assert.equal(seen.headers.cookie, undefined);
    assert.equal(seen.headers['x-forwarded-for'], undefined);
    assert.equal(seen.headers.host, new URL(up.url).host);
    assert.deepEqual(Object.keys(seen.headers).sort(), ['authorization', 'connection', 'content-length', 'content-type', 'host']);
  });

  it('reuses the upstream connection (keep-alive)', async () => {
    const ports = new Set<number>();
    const up = await raw((req, res) => {
      ports.add(req.socket.remotePort!);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const f = await front(connection(up.url), Buffer.from('{}'));
    for (let i = 0; i < 5; i++) await (await fetch(f.url, { method: 'POST', body: '{}' })).text();
    assert.equal(ports.size, 1);
  });

  it('an unreachable upstream -> REGATE_ERR_UPSTREAM_UNREACHABLE, once', async () => {
    const f = await front(connection(`http://127.0.0.1:${await freePort()}/mcp`), Buffer.from('{}'));
    const res = await fetch(f.url, { method: 'POST', body: '{}' });
    assert.equal(res.status, 502);
    assert.deepEqual(await res.json(), { code: 'REGATE_ERR_UPSTREAM_UNREACHABLE' });
    assert.equal(f.outcomes.length, 1);
  });

  it('no response headers within response_seconds -> REGATE_ERR_UPSTREAM_TIMEOUT, and the upstream request is cancelled', async () => {
    let cancelled!: () => void;
    const gone = new Promise<void>((r) => (cancelled = r));
    const up = await raw((req) => new Promise<void>(() => req.socket.once('close', cancelled)));
    const f = await front(connection(up.url, { response_seconds: 0.3 }), Buffer.from('{}'));
    const started = Date.now();
    const res = await fetch(f.url, { method: 'POST', body: '{}' });
    assert.equal(res.status, 504);
    assert.deepEqual(await res.json(), { code: 'REGATE_ERR_UPSTREAM_TIMEOUT' });
    assert.ok(Date.now() - started >= 250);
    await gone;
  });

  it('a response that starts in time is not cut by response_seconds, however long its body takes', async () => {
    const up = await raw(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      await new Promise((r) => setTimeout(r, 600));
      res.end('data: 2\n\n');
    });
    const f = await front(connection(up.url, { response_seconds: 0.3 }), undefined);
    const res = await fetch(f.url);
    assert.equal(await res.text(), 'data: 1\n\ndata: 2\n\n');
    assert.deepEqual(f.outcomes, [{ status: 200 }]);
  });

  it('idle_seconds of silence on an open response ends it', async () => {
    const up = await raw((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n'); // ... then silence
    });
    const f = await front(connection(up.url, { idle_seconds: 0.3 }), undefined);
    const res = await fetch(f.url);
    await assert.rejects(res.text()); // the client's response breaks off with the upstream's
  });

  it('a client that hangs up cancels the upstream request', async () => {
    let cancelled!: () => void;
    const gone = new Promise<void>((r) => (cancelled = r));
    const up = await raw((req) => new Promise<void>(() => req.socket.once('close', cancelled)));
    const f = await front(connection(up.url), Buffer.from('{}'));
    const ac = new AbortController();
    const pending = fetch(f.url, { method: 'POST', body: '{}', signal: ac.signal }).catch(() => undefined);
    while (up.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await pending;
    await gone; // the upstream saw its request go away
    assert.deepEqual(f.outcomes, [], 'nobody to report a cancelled request to');
  });

  it('counts the time a request waits for a pooled socket against its response deadline', async () => {
    const up = await raw(() => {}); // never answers
    const f = await front(connection(up.url, { response_seconds: 1 }), undefined, { accept: 'application/json' }, 1);
    const started = performance.now();
    const timed = (p: Promise<Response>) => p.then(async (r) => ({ status: r.status, ms: performance.now() - started, body: await r.text() }));
    // One socket: the second request waits for the first one's socket before it is sent.
    const [first, second] = await Promise.all([timed(fetch(f.url)), timed(fetch(f.url))]);
    assert.equal(first.status, 504);
    assert.equal(second.status, 504);
    assert.match(second.body, /REGATE_ERR_UPSTREAM_TIMEOUT/);
    // Its deadline ran from when it was issued, not from when it got the socket (that would be ~2 s).
    assert.ok(second.ms < 1700, `the queued request timed out after ${Math.round(second.ms)} ms`);
  });
});
