import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import { connectClient } from '../../helpers/peers.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import { Redis } from 'ioredis';

/**
 * Recording through the whole gateway: every call, allowed or refused, leaves its request,
 * decision and answer in the transcript, as the client saw it; no credential ever does.
 */
describe('recording through the gateway (file sink, embedded buffer, SDK client, default policy)', function () {
  this.timeout(30_000);
  const upstreamToken = 'crm-gateway-credential-canary';
  let demo: DemoServer;
  let gw: TestGateway;
  let dir: string;
  let readerToken: string;
  let events: TranscriptEvent[] = [];
  let sessionId: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regate-rec-'));
    demo = await startDemoServer({ requiredToken: upstreamToken });
    gw = await startTestGateway({
      connections: [{ name: 'crm', url: demo.url, headers: { Authorization: `Bearer ${upstreamToken}` } }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      audit: {
        file: { path: join(dir, 'transcripts.jsonl') },
        buffer: { spill_path: join(dir, 'buffer.jsonl') },
        log_analytics: undefined,
      },
    });
    readerToken = await gw.token('alice', ['mcp-readers']);
    const c = await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', { headers: { Authorization: `Bearer ${readerToken}` } });
    await c.client.callTool({ name: 'get_customer', arguments: { id: 'cus_002' } });
    await c.client.callTool({ name: 'export_customers_csv', arguments: {} });
    sessionId = c.transport.sessionId!;
    await c.transport.terminateSession();
    await c.close();
    // A malformed body is regate's own error answer: recorded on its exchange.
    await postMcp(`${gw.regate.url}/mcp/crm`, '{"jsonrpc":', { headers: { authorization: `Bearer ${readerToken}` } });
    // Stopping flushes what is buffered to the sink within the grace period.
    await gw.stop();
    const text = await readFile(join(dir, 'transcripts.jsonl'), 'utf8');
    events = text.trim().split('\n').map((l) => JSON.parse(l) as TranscriptEvent);
  });
  after(async () => {
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ofTool = (tool: string) => events.filter((e) => e.tool === tool);

  it('records an allowed call: request, decision (allow, by its rule) and the response the client got', () => {
    const e = ofTool('get_customer');
    assert.deepEqual(e.map((x) => x.kind).sort(), ['decision', 'request', 'response']);
    const decision = e.find((x) => x.kind === 'decision')!;
    assert.equal(decision.decision, 'allow');
    assert.equal(decision.rule, 'regate.tools.read_only');
    assert.equal(decision.principal_id, 'alice');
    const response = e.find((x) => x.kind === 'response')!;
    assert.match(JSON.stringify(response.content), /cus_002/);
    assert.ok((response.bytes ?? 0) > 0);
  });

  it('records a refused call with its rule and regate\'s answer, though it never went upstream', () => {
    const e = ofTool('export_customers_csv');
    const decision = e.find((x) => x.kind === 'decision')!;
    assert.equal(decision.decision, 'deny');
    assert.equal(decision.rule, 'regate.tools.denied');
    assert.ok(e.some((x) => x.kind === 'response' && /regate policy denied/.test(JSON.stringify(x.content))));
  });

  it('records when the session began (bound to its principal) and when its client ended it', () => {
    const phases = events.filter((e) => e.kind === 'session' && e.session_id === sessionId).map((e) => [e.session_phase, e.principal_id]);
    assert.deepEqual(phases, [['start', 'alice'], ['end', 'alice']]);
  });

  it("records regate's own error answers", () => {
    assert.ok(events.some((e) => e.kind === 'error' && /REGATE_ERR_PARSE/.test(JSON.stringify(e))));
  });

  it('gives every event a unique id and never holds a bearer token or the gateway credential', () => {
    assert.equal(new Set(events.map((e) => e.event_id)).size, events.length);
    const all = JSON.stringify(events);
    assert.equal(all.includes(upstreamToken), false);
    assert.equal(all.includes(readerToken), false);
  });
});

describe('recording through the gateway with the Redis Streams buffer (redis: configured)', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let demo: DemoServer;
  let dir: string;

  before(async () => {
    redis = await startRedis();
    demo = await startDemoServer({ requiredToken: 'crm-token' });
    dir = await mkdtemp(join(tmpdir(), 'regate-rec-redis-'));
  });
  after(async () => {
    await demo?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("buffers a call's events in the configured Redis (its key prefix) and delivers them to the sink", async () => {
    const gw = await startTestGateway({
      connections: [{ name: 'crm', url: demo.url, headers: { Authorization: 'Bearer crm-token' } }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      redis: { url: redis.url, key_prefix: 'rec-test:' },
      audit: { file: { path: join(dir, 'transcripts.jsonl') } },
    });
    const c = await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', { headers: { Authorization: `Bearer ${await gw.token('bob', ['mcp-readers'])}` } });
    await c.client.callTool({ name: 'get_customer', arguments: { id: 'cus_001' } });
    await c.close();
    const probe = new Redis(redis.url);
    try {
      assert.ok((await probe.xlen('rec-test:audit:events')) >= 3, 'the events went through the stream under the configured prefix');
    } finally {
      probe.disconnect();
    }
    await gw.stop();
    const events = (await readFile(join(dir, 'transcripts.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TranscriptEvent);
    assert.deepEqual(events.filter((e) => e.tool === 'get_customer').map((e) => e.kind).sort(), ['decision', 'request', 'response']);
  });
});

describe('recording turned off (audit.enabled: false)', function () {
  this.timeout(30_000);
  it('leaves no transcript, and the calls still work', async () => {
    const demo = await startDemoServer({ requiredToken: 'crm-token' });
    const dir = await mkdtemp(join(tmpdir(), 'regate-rec-off-'));
    try {
      const gw = await startTestGateway({
        connections: [{ name: 'crm', url: demo.url, headers: { Authorization: 'Bearer crm-token' } }],
        policy: { bundle: { path: COMMITTED_BUNDLE } },
        audit: { enabled: false, file: { path: join(dir, 'transcripts.jsonl') }, buffer: { spill_path: join(dir, 'buffer.jsonl') } },
      });
      const c = await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', { headers: { Authorization: `Bearer ${await gw.token('bob', ['mcp-readers'])}` } });
      const r = (await c.client.callTool({ name: 'get_customer', arguments: { id: 'cus_001' } })) as { isError?: boolean };
      await c.close();
      await gw.stop();
      assert.notEqual(r.isError, true);
      assert.equal((await readFile(join(dir, 'transcripts.jsonl'), 'utf8').catch(() => '')).trim(), '');
    } finally {
      await demo.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
