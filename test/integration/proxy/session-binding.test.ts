import assert from 'node:assert/strict';
import pino from 'pino';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ComponentRegistry } from '../../../src/components/component.ts';
import { createPolicyStage, type DecisionRecord } from '../../../src/enforcement/policy-stage.ts';
import type { RunningRegate } from '../../../src/http/server.ts';
import type { PolicyInput } from '../../../src/policy/input.ts';
import { SessionBindings } from '../../../src/proxy/session-binding.ts';
import { redisConfigSchema } from '../../../src/store/config.ts';
import { createStore } from '../../../src/store/create.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { startEchoUpstream, startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { mcpHeaders, startDemoGateway, type DemoGateway } from '../../helpers/demo-gateway.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import type { McpTestClient } from '../../helpers/peers.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import { startTestRegate } from '../../helpers/regate.ts';

type CallResult = { isError?: boolean; structuredContent?: unknown };

/**
 * #10 item 1: a Streamable HTTP session belongs to the principal that initialized it. Another
 * principal that learns the id gets the 404 of an unknown session on every method, and the owner
 * keeps working.
 */
describe('sessions are bound to the principal that initialized them', function () {
  this.timeout(30_000);
  let d: DemoGateway;
  let alice: McpTestClient<StreamableHTTPClientTransport>;
  let sessionId: string;
  let mallory: string;
  let url: string;

  before(async () => {
    d = await startDemoGateway();
    url = d.url;
    alice = await d.connect('alice', ['mcp-readers']);
    sessionId = alice.transport.sessionId!;
    assert.ok(sessionId, 'the upstream issued a session');
    mallory = await d.gw.token('mallory', []);
  });
  after(async () => {
    await alice?.close();
    await d?.stop();
  });

  const asMallory = (method: string, extra: Record<string, string> = {}, body?: unknown) =>
    fetch(url, {
      method,
      headers: { ...mcpHeaders(mallory, sessionId), ...extra },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  async function assertUnknownSession(res: Response): Promise<void> {
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { data: { code: string } } };
    assert.equal(body.error.data.code, 'REGATE_ERR_UNKNOWN_SESSION');
  }

  it('refuses another principal\'s POST (ping) into the session with 404', async () => {
    await assertUnknownSession(await asMallory('POST', {}, { jsonrpc: '2.0', id: 1, method: 'ping' }));
  });

  it('refuses another principal\'s GET with Last-Event-ID (a replay of the owner\'s results) with 404', async () => {
    await assertUnknownSession(await asMallory('GET', { 'last-event-id': '0' }));
  });

  it('refuses another principal\'s DELETE with 404, and the owner\'s session lives on', async () => {
    await assertUnknownSession(await asMallory('DELETE'));
    const r = (await alice.client.callTool({ name: 'get_customer', arguments: { id: 'cus_002' } })) as CallResult;
    assert.notEqual(r.isError, true);
    assert.equal((r.structuredContent as { customer: { id: string } }).customer.id, 'cus_002');
  });

  it('answers an id nobody was issued exactly as another principal\'s', async () => {
    const made = await fetch(url, {
      method: 'POST',
      headers: mcpHeaders(mallory, 'no-such-session'),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    const learned = await asMallory('POST', {}, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(made.status, learned.status);
    assert.deepEqual(await made.json(), await learned.json());
  });

  it('forgets the session when its owner ends it', async () => {
    const bob = await d.connect('bob', ['mcp-readers']);
    const id = bob.transport.sessionId!;
    await bob.transport.terminateSession();
    await bob.close();
    const after = await postMcp(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: mcpHeaders(await d.gw.token('bob', ['mcp-readers']), id) });
    assert.equal(after.status, 404);
    assert.equal((after.items[0]?.message as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_UNKNOWN_SESSION');
  });
});

/**
 * #10 item 7: on an upstream without sessions, a made-up `Mcp-Session-Id` used to start a fresh
 * input.session.calls count. regate now refuses an id it never saw issued, and the calls stay
 * counted per principal and connection, in the shared store (one count for every replica).
 */
describe('a made-up session id is refused, not counted from zero', function () {
  this.timeout(20_000);
  let upstream: RawUpstream;
  const regates: RunningRegate[] = [];
  const seen: PolicyInput[] = [];

  before(async () => {
    // Stateless: answers every request, never issues a session.
    upstream = await startRawUpstream((_req, res, body) => {
      const m = JSON.parse(body) as { id?: number };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [] } }));
    });
    // Two replicas sharing one store.
    const store = new MemoryStore();
    for (let i = 0; i < 2; i++) {
      const stage = createPolicyStage({ evaluate: (input) => (seen.push(input), { allow: true, reason: 'ok', rule: 't.allow', outcome: 'allow', revision: 'r', decision_id: 'd', duration_us: 1 }), modeFor: () => 'enforce', onDecision: () => {}, log: pino({ level: 'silent' }), store });
      regates.push(await startTestRegate({ connections: [{ name: 'up', url: upstream.url }] }, { stages: [stage], store }));
    }
  });
  after(async () => {
    for (const r of regates) await r.stop();
    await upstream?.close();
  });

  const call = (replica: number, id: number, headers: Record<string, string> = {}) =>
    postMcp(`${regates[replica]!.url}/mcp/up`, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: {} } }, { headers });
  const lastCalls = () => seen.at(-1)!.session.calls;

  it('refuses a made-up session id with 404: nothing decided, nothing forwarded, the count goes on', async () => {
    assert.equal((await call(0, 1)).status, 200);
    const before = lastCalls();
    const decided = seen.length;
    const forwarded = upstream.seen.length;
    const made = await call(0, 2, { 'mcp-session-id': `made-up-${Date.now()}` });
    assert.equal(made.status, 404);
    assert.equal(seen.length, decided, 'nothing was decided for it');
    assert.equal(upstream.seen.length, forwarded, 'nothing went upstream');
    assert.equal((await call(0, 3)).status, 200);
    assert.equal(lastCalls(), before + 1, 'the count went on from where it was');
  });

  it('keeps one count for every replica (the shared store)', async () => {
    assert.equal((await call(0, 4)).status, 200);
    const before = lastCalls();
    assert.equal((await call(1, 5)).status, 200);
    assert.equal(lastCalls(), before + 1, 'the second replica saw the first one\'s call');
  });
});

/**
 * Session ids leave regate only as a keyed hash (`sessions.hash_key`), and the binding is a
 * security decision: with the shared store (a real Redis) down, a request carrying a session id is
 * refused (503), never let through unchecked.
 */
describe('session ids in the decision log, and a store outage', function () {
  this.timeout(30_000);
  const hashKey = 'a-deployment-key-of-32-characters';
  let redis: RedisServer;
  let upstream: RawUpstream;
  let regate: RunningRegate;
  let replica: RunningRegate;
  const records: DecisionRecord[] = [];
  const inputs: PolicyInput[] = [];
  let issued = 0;

  before(async () => {
    redis = await startRedis();
    upstream = await startEchoUpstream((req): Record<string, string> => (req.headers['mcp-session-id'] === undefined ? { 'mcp-session-id': `sess-${++issued}-${Date.now()}` } : {}));
    const { store, component } = createStore(redisConfigSchema.parse({ url: redis.url, command_timeout_ms: 500, connect_timeout_ms: 1000 }), pino({ level: 'silent' }));
    const components = new ComponentRegistry();
    components.add(component);
    const stage = () =>
      createPolicyStage({ evaluate: (input) => (inputs.push(input), { allow: true, reason: 'ok', rule: 't.allow', outcome: 'allow', revision: 'r', decision_id: 'd', duration_us: 1 }), modeFor: () => 'enforce', onDecision: (r) => records.push(r), log: pino({ level: 'silent' }), store });
    regate = await startTestRegate({ connections: [{ name: 'up', url: upstream.url }], sessions: { hash_key: hashKey } }, { stages: [stage()], store, components });
    // A second replica on the same Redis, without a hash key of its own.
    replica = await startTestRegate({ connections: [{ name: 'up', url: upstream.url }] }, { stages: [stage()], store });
  });
  after(async () => {
    await replica?.stop();
    await regate?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  const ping = (sid?: string) => postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: sid !== undefined ? { 'mcp-session-id': sid } : {} });

  it('logs the keyed hash of the session id, never the id', async () => {
    const init = await postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    const sid = init.headers.get('mcp-session-id')!;
    assert.equal((await ping(sid)).status, 200);
    const logged = records.at(-1)!;
    const expected = new SessionBindings({ store: new MemoryStore(), ttlMs: 1000, maxPerPrincipal: 1, hashKey }).ref(sid);
    assert.equal(logged.session_id, expected);
    assert.ok(!JSON.stringify(records).includes(sid), 'the id itself is in no decision record');
  });

  it('serves a session started on one replica from another, and counts its calls once', async () => {
    const init = await postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    const sid = init.headers.get('mcp-session-id')!;
    const call = (base: string, id: number) => postMcp(`${base}/mcp/up`, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 't', arguments: {} } }, { headers: { 'mcp-session-id': sid } });
    assert.equal((await call(regate.url, 2)).status, 200);
    assert.equal((await call(replica.url, 3)).status, 200);
    assert.equal(inputs.at(-1)!.session.calls, 1, 'the replica saw the first call of the session');
  });

  it('refuses a request with a session id while the store is down (503), and forwards nothing', async () => {
    const init = await postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    const sid = init.headers.get('mcp-session-id')!;
    await redis.stop();
    const forwarded = upstream.seen.length;
    const r = await ping(sid);
    assert.equal(r.status, 503);
    assert.equal((r.items[0]?.message as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_STORE_UNAVAILABLE');
    assert.equal(upstream.seen.length, forwarded, 'nothing went upstream');
  });
});

/**
 * A session the upstream no longer knows (it answers 404, as the spec has a server do for an
 * expired or unknown session) ends in regate too: it stops counting against the principal's
 * `max_sessions`, so the client can start the new session the spec tells it to.
 */
describe('a session the upstream forgot', function () {
  this.timeout(30_000);
  let upstream: RawUpstream;
  let regate: RunningRegate;
  const live = new Set<string>();
  let issued = 0;

  before(async () => {
    upstream = await startRawUpstream((req, res, body) => {
      const m = JSON.parse(body) as { id?: number; method?: string };
      const sid = req.headers['mcp-session-id'];
      if (m.method === 'initialize') {
        const id = `sess-${++issued}`;
        live.add(id);
        return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': id }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }));
      }
      if (typeof sid !== 'string' || !live.has(sid)) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id ?? null, error: { code: -32001, message: 'Session not found' } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }));
    });
    const stage = createPolicyStage({ evaluate: () => ({ allow: true, reason: 'ok', rule: 't.allow', outcome: 'allow', revision: 'r', decision_id: 'd', duration_us: 1 }), modeFor: () => 'enforce', onDecision: () => {}, log: pino({ level: 'silent' }) });
    regate = await startTestRegate({ connections: [{ name: 'up', url: upstream.url }], limits: { per_principal: { max_sessions: 1 } } }, { stages: [stage] });
  });
  after(async () => {
    await regate?.stop();
    await upstream?.close();
  });

  const init = () => postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });

  it('stops counting against max_sessions once the upstream answers 404 in it', async () => {
    const started = await init();
    const first = started.headers.get('mcp-session-id')!;
    assert.ok(first, `${started.status} ${JSON.stringify(started.items)}`);
    assert.equal((await init()).status, 429, 'one live session is the maximum');
    live.delete(first);
    const gone = await postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 2, method: 'ping' }, { headers: { 'mcp-session-id': first } });
    assert.equal(gone.status, 404, 'the client learns its session is gone');
    await new Promise((r) => setTimeout(r, 1100)); // the refused principal's one-second local back-off
    const second = await init();
    assert.equal(second.status, 200, 'a new session can start');
    const again = await postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: 3, method: 'ping' }, { headers: { 'mcp-session-id': first } });
    assert.equal(again.status, 404, 'the forgotten id stays unknown');
  });
});
