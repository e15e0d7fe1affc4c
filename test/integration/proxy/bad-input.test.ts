import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { freePort } from '../../helpers/ports.ts';
import { startTestRegate } from '../../helpers/regate.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

/** Every kind of bad input gets its documented error, and regate keeps serving afterwards. */
describe('bad input and upstream failures get a clear error and regate keeps serving', function () {
  this.timeout(30_000);
  let upstream: RawUpstream;
  let silent: RawUpstream;
  let regate: RunningRegate;

  before(async () => {
    // A JSON-mode upstream: answers every request with a result echoing its id; batches as arrays.
    upstream = await startRawUpstream((_req, res, body) => {
      const parsed = JSON.parse(body) as unknown;
      const answer = (m: { id?: unknown }) => (m.id === undefined ? undefined : { jsonrpc: '2.0', id: m.id, result: { ok: true } });
      const out = Array.isArray(parsed) ? parsed.map(answer).filter(Boolean) : answer(parsed as { id?: unknown });
      if (out === undefined || (Array.isArray(out) && out.length === 0)) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
    silent = await startRawUpstream(() => new Promise(() => {})); // accepts, never answers
    const deadPort = await freePort();
    regate = await startTestRegate({
      limits: { max_body_bytes: 64 * 1024, max_json_depth: 32, max_batch_messages: 10 },
      connections: [
        { name: 'ok', url: upstream.url },
        { name: 'dead', url: `http://127.0.0.1:${deadPort}/mcp`, timeouts: { connect_seconds: 2 } },
        { name: 'slow', url: silent.url, timeouts: { response_seconds: 0.5 } },
      ],
    });
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([upstream?.close(), silent?.close()]);
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${regate.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body,
    });

  const cases: ReadonlyArray<{ name: string; path?: string; body: string; headers?: Record<string, string>; status: number; rpc?: number; code: string; id?: unknown }> = [
    { name: 'malformed JSON', body: '{"jsonrpc":"2.0",', status: 400, rpc: -32700, code: 'REGATE_ERR_PARSE', id: null },
    { name: 'a body over the size limit', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { pad: 'x'.repeat(70_000) } }), status: 413, code: 'REGATE_ERR_BODY_TOO_LARGE' },
    { name: 'a deeply nested body', body: `{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":${'['.repeat(100)}${']'.repeat(100)}}}`, status: 400, rpc: -32600, code: 'REGATE_ERR_TOO_DEEP' },
    { name: 'a JSON value that is not JSON-RPC', body: '{"hello":"world"}', status: 400, rpc: -32600, code: 'REGATE_ERR_INVALID_REQUEST' },
    { name: 'a batch over the limit', body: JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' }))), status: 400, code: 'REGATE_ERR_BATCH_TOO_LARGE' },
    { name: 'a body that is not JSON', body: 'id=1', headers: { 'content-type': 'text/plain' }, status: 415, code: 'REGATE_ERR_UNSUPPORTED_MEDIA_TYPE' },
    { name: 'an unreachable upstream', path: '/mcp/dead', body: '{"jsonrpc":"2.0","id":"call-7","method":"tools/list"}', status: 502, rpc: -32001, code: 'REGATE_ERR_UPSTREAM_UNREACHABLE', id: 'call-7' },
    { name: 'an upstream that does not answer in time', path: '/mcp/slow', body: '{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"x"}}', status: 504, rpc: -32002, code: 'REGATE_ERR_UPSTREAM_TIMEOUT', id: 42 },
  ];
  for (const c of cases) {
    it(`${c.name} -> HTTP ${c.status} ${c.code}`, async () => {
      const res = await post(c.path ?? '/mcp/ok', c.body, c.headers);
      assert.equal(res.status, c.status);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string; data: { code: string } } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.error.data.code, c.code);
      assert.ok(body.error.message.length > 10, 'the message says what went wrong');
      if (c.rpc !== undefined) assert.equal(body.error.code, c.rpc);
      if ('id' in c) assert.equal(body.id, c.id);
      // ... and regate still serves the next call.
      const ok = await post('/mcp/ok', '{"jsonrpc":"2.0","id":9,"method":"ping"}');
      assert.deepEqual(await ok.json(), { jsonrpc: '2.0', id: 9, result: { ok: true } });
    });
  }

  it('an unknown connection -> 404 with a JSON error naming it', async () => {
    const res = await post('/mcp/nope', '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: { code: 'REGATE_ERR_UNKNOWN_CONNECTION', message: 'no MCP connection named "nope" is configured' } });
  });

  it('other spellings of the MCP path are served like the plain one (the router path)', async () => {
    for (const path of ['/mcp/ok/', '/mcp/ok?trace=1', '/MCP/ok', '/mcp/%6Fk']) {
      const res = await post(path, '{"jsonrpc":"2.0","id":5,"method":"ping"}');
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), { jsonrpc: '2.0', id: 5, result: { ok: true } });
      assert.match(res.headers.get('x-request-id') ?? '', /./);
    }
  });

  it('an unsupported HTTP method -> 405 with Allow', async () => {
    const res = await fetch(`${regate.url}/mcp/ok`, { method: 'PUT' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, DELETE');
  });

  it('a JSON-RPC batch is forwarded message by message and answered as an array', async () => {
    const res = await post('/mcp/ok', JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'b', method: 'tools/list' },
    ]));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), [
      { jsonrpc: '2.0', id: 1, result: { ok: true } },
      { jsonrpc: '2.0', id: 'b', result: { ok: true } },
    ]);
    const forwarded = JSON.parse(upstream.seen.at(-1)!.body) as unknown[];
    assert.equal(forwarded.length, 3);
  });

  it('an upstream that answers garbage -> 502 carrying the request id, nothing of the garbage', async () => {
    const garbage = await startRawUpstream((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"secret":"4111111111111111"'));
    const r = await startTestRegate({ connections: [{ name: 'g', url: garbage.url }] });
    try {
      const res = await fetch(`${r.url}/mcp/g`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":3,"method":"ping"}' });
      assert.equal(res.status, 502);
      const text = await res.text();
      assert.doesNotMatch(text, /4111/);
      assert.equal((JSON.parse(text) as { id: number }).id, 3);
    } finally {
      await r.stop();
      await garbage.close();
    }
  });

  it('an upstream that refuses the gateway credential -> 502, and its challenge never reaches the agent', async () => {
    const denying = await startRawUpstream((_req, res) => void res.writeHead(401, { 'www-authenticate': 'Bearer realm="upstream"' }).end());
    const r = await startTestRegate({ connections: [{ name: 'd', url: denying.url }] });
    try {
      const res = await fetch(`${r.url}/mcp/d`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":4,"method":"ping"}' });
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('www-authenticate'), null);
      assert.equal(((await res.json()) as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_UPSTREAM_AUTH');
    } finally {
      await r.stop();
      await denying.close();
    }
  });

  describe('an upstream that ends its answer without answering a request -> the request gets an error saying so', () => {
    /** POSTs a ping with id 5 through a fresh regate to an upstream answering with `answer`; the body the agent gets. */
    async function pingThrough(answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
      const up = await startRawUpstream((_req, res) => answer(res));
      const r = await startTestRegate({ connections: [{ name: 'u', url: up.url }] });
      try {
        const res = await fetch(`${r.url}/mcp/u`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: '{"jsonrpc":"2.0","id":5,"method":"ping"}',
        });
        return await res.text();
      } finally {
        await r.stop();
        await up.close();
      }
    }
    const sseEnd = (idLine: string) => (res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${idLine}event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n`);
    };
    const scenarios: ReadonlyArray<{ name: string; answer: (res: import('node:http').ServerResponse) => void; sse?: boolean }> = [
      { name: 'an empty 200', answer: (res) => void res.writeHead(200).end() },
      { name: 'a JSON answer that answers another id', answer: (res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":999,"result":{}}') },
      { name: 'an SSE stream (without event ids) that ends after a notification', sse: true, answer: sseEnd('') },
    ];
    for (const sc of scenarios) {
      it(sc.name, async () => {
        const text = await pingThrough(sc.answer);
        type Answer = { id: number; error: { message: string; data: { code: string } } };
        const answer = JSON.parse(sc.sse ? /data: (.*"id":5.*)/.exec(text)![1]! : text) as Answer;
        assert.equal(answer.id, 5);
        assert.equal(answer.error.data.code, 'REGATE_ERR_UPSTREAM_PROTOCOL');
        assert.match(answer.error.message, /ended its answer without a response to this request; retry it/);
      });
    }

    it('but not a resumable SSE stream (with event ids): its answers may come on a resumed stream', async () => {
      const text = await pingThrough(sseEnd('id: e1\n'));
      assert.match(text, /notifications\/message/);
      assert.doesNotMatch(text, /"id":5/);
    });
  });
});
