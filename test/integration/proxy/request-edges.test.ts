import assert from 'node:assert/strict';
import { buildConfig } from '../../../src/config/load.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { startRegate, type RunningRegate } from '../../../src/http/server.ts';
import type { ExchangeFacts } from '../../../src/pipeline/call-record.ts';
import type { Stage } from '../../../src/pipeline/stage.ts';
import { captureLog, type CapturedLog } from '../../helpers/captured-log.ts';
import { rawRequest } from '../../helpers/raw-http.ts';
import { startEchoUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

/** Inputs at the edge of HTTP: each is answered as what it is, and nothing the client chose is taken for regate's. */
describe('request edges: paths, methods, media types, request ids, forwarded addresses, the operations port', function () {
  this.timeout(20_000);
  let upstream: RawUpstream;
  const seen: ExchangeFacts[] = [];
  const stage: Stage = { name: 'test.exchanges', request: (call) => (seen.push(call.exchange), { action: 'continue' }) };
  const started: RunningRegate[] = [];

  const start = async (doc: Partial<ConfigInput> = {}): Promise<{ regate: RunningRegate; captured: CapturedLog }> => {
    const captured = captureLog();
    const config = buildConfig({ listen: { host: '127.0.0.1', port: 0, ...doc.listen }, connections: [{ name: 'ok', url: upstream.url }], ...(doc.ops_listen ? { ops_listen: doc.ops_listen } : {}) }, {});
    const regate = await startRegate({ config, log: captured.log, stages: [stage] });
    started.push(regate);
    return { regate, captured };
  };

  before(async () => {
    upstream = await startEchoUpstream();
  });
  after(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await upstream?.close();
  });

  const post = (base: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...init.headers },
      body: init.body ?? '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { data: { code: string } } }).error.data.code;

  it('a path that is not valid percent-encoding -> 400 REGATE_ERR_MALFORMED_PATH, and no stack trace in the log', async () => {
    const { regate, captured } = await start();
    for (const path of ['/mcp/%E0%A4%A', '/sse/%zz']) {
      const res = await fetch(`${regate.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.equal(await codeOf(res), 'REGATE_ERR_MALFORMED_PATH');
    }
    assert.ok(!captured.text().includes('"stack"'), captured.text());
  });

  it('HEAD /mcp/{connection} -> 405 with Allow, and nothing goes upstream', async () => {
    const { regate } = await start();
    const before = upstream.seen.length;
    const res = await fetch(`${regate.url}/mcp/ok`, { method: 'HEAD' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, DELETE');
    assert.equal(upstream.seen.length, before);
  });

  it('the content type is matched as a media type: application/json-seq -> 415 from regate; charset allowed', async () => {
    const { regate } = await start();
    const before = upstream.seen.length;
    const seq = await post(regate.url, '/mcp/ok', { headers: { 'content-type': 'application/json-seq' } });
    assert.equal(seq.status, 415);
    assert.equal(await codeOf(seq), 'REGATE_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.equal(upstream.seen.length, before, 'the upstream never saw it');
    const charset = await post(regate.url, '/mcp/ok', { headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
    assert.equal(charset.status, 200);
  });

  it("a client's X-Request-Id is kept as client_request_id; regate's id stays regate's", async () => {
    const { regate, captured } = await start();
    const res = await post(regate.url, '/mcp/ok', { headers: { 'x-request-id': 'victim-request-1' }, body: '{"jsonrpc":' });
    assert.equal(res.status, 400);
    const id = res.headers.get('x-request-id') ?? '';
    assert.match(id, /^[0-9a-f-]{36}$/, 'regate answers with its own id');
    await new Promise((r) => setTimeout(r, 50));
    const line = captured.records().find((l) => l.msg === 'refused client body');
    assert.equal(line?.request_id, id);
    assert.equal(line?.client_request_id, 'victim-request-1');
    const n = seen.length;
    await post(regate.url, '/mcp/ok', { headers: { 'x-request-id': 'victim-request-1' } });
    assert.equal(seen[n]?.clientRequestId, 'victim-request-1');
    assert.notEqual(seen[n]?.requestId, 'victim-request-1');
  });

  it('X-Forwarded-For is believed only from a trusted proxy', async () => {
    const plain = await start();
    let n = seen.length;
    await post(plain.regate.url, '/mcp/ok', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(seen[n]?.http.remoteAddress, '127.0.0.1');
    const behindProxy = await start({ listen: { trusted_proxies: ['127.0.0.0/8'] } });
    n = seen.length;
    await post(behindProxy.regate.url, '/mcp/ok', { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' } });
    assert.equal(seen[n]?.http.remoteAddress, '203.0.113.9');
  });

  it('with ops_listen, /healthz, /readyz and /metrics move to the operations port', async () => {
    const { regate } = await start({ ops_listen: { host: '127.0.0.1', port: 0 } });
    assert.ok(regate.opsUrl);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.equal((await fetch(`${regate.opsUrl}${path}`)).status, 200, `ops ${path}`);
      assert.equal((await fetch(`${regate.url}${path}`)).status, 404, `public ${path}`);
    }
    assert.equal((await fetch(`${regate.opsUrl}/mcp/ok`)).status, 404, 'no MCP on the operations port');
    assert.equal((await post(regate.url, '/mcp/ok')).status, 200, 'MCP stays on the public port');
    // Raw socket: the public port does not even answer the ops paths with a body that names them.
    const raw = await rawRequest(regate.url, 'GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.ok(!raw.body.includes('components'));
  });
});
