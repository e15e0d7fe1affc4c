import assert from 'node:assert/strict';
import pino from 'pino';
import { createPolicyStage, type DecisionRecord } from '../../../src/enforcement/policy-stage.ts';
import type { RunningRegate } from '../../../src/http/server.ts';
import type { Stage } from '../../../src/pipeline/stage.ts';
import type { PolicyDecision } from '../../../src/policy/decision.ts';
import type { PolicyInput } from '../../../src/policy/input.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { messagesOf, postMcp } from '../../helpers/mcp-http.ts';
import { freePort } from '../../helpers/ports.ts';
import { startTestRegate } from '../../helpers/regate.ts';

type Msg = { id?: unknown; method?: string; params?: { name?: string } };

/** Denies the tool "forbidden" (and hides it from listings) and server sampling; allows the rest. */
function decide(input: PolicyInput): PolicyDecision {
  const tool = input.mcp.tool?.name;
  const deny = tool === 'forbidden' || (input.mcp.direction === 'server_to_client' && input.mcp.method === 'sampling/createMessage');
  const rule = deny ? 'test.deny' : 'test.allow';
  return { allow: !deny, reason: deny ? 'not for you' : 'ok', rule, outcome: deny ? 'deny' : 'allow', revision: 'test', decision_id: `d-${Math.random()}`, duration_us: 1 };
}

/**
 * Recording must see every message a client receives, regate's own answers included, exactly
 * once: a stage that only observes `delivered` sees precisely what arrives at the client.
 */
describe('pipeline: every message the client receives is delivered through the pipeline exactly once', function () {
  this.timeout(30_000);
  let upstream: RawUpstream;
  let silent: RawUpstream;
  let cut: RawUpstream;
  let sampler: RawUpstream;
  let regate: RunningRegate;
  const seen = new Map<string, unknown[]>();
  const decisions: DecisionRecord[] = [];
  const recorder: Stage = {
    name: 'test.recorder',
    delivered(message, _call, x) {
      const list = seen.get(x.requestId) ?? [];
      list.push(structuredClone(message));
      seen.set(x.requestId, list);
    },
  };
  const policy = createPolicyStage({ evaluate: decide, modeFor: () => 'enforce', onDecision: (r) => decisions.push(r), log: pino({ level: 'silent' }) });

  before(async () => {
    upstream = await startRawUpstream((_req, res, body) => {
      const parsed = JSON.parse(body) as Msg | Msg[];
      const out = (Array.isArray(parsed) ? parsed : [parsed])
        .filter((m) => m.id !== undefined)
        .map((m) =>
          m.method === 'tools/list'
            ? { jsonrpc: '2.0', id: m.id, result: { tools: [{ name: 'open', inputSchema: { type: 'object' } }, { name: 'forbidden', inputSchema: { type: 'object' } }] } }
            : { jsonrpc: '2.0', id: m.id, result: { ran: m.params?.name ?? m.method } },
        );
      if (out.length === 0) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
    });
    silent = await startRawUpstream(() => new Promise(() => {}));
    // Sends one progress notification on an SSE answer, then breaks the connection.
    cut = await startRawUpstream((req, res, body) => {
      const m = JSON.parse(body) as Msg;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } })}\n\n`);
      setTimeout(() => req.socket.destroy(), 50);
      void m;
    });
    // Asks the client for sampling in the middle of a tool call, then answers the call.
    sampler = await startRawUpstream((_req, res, body) => {
      const m = JSON.parse(body) as Msg & { error?: unknown };
      if (m.method !== 'tools/call') return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 'srv-1', method: 'sampling/createMessage', params: { messages: [], maxTokens: 5 } })}\n\n`);
      setTimeout(() => res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [], done: true } })}\n\n`), 300);
    });
    const dead = await freePort();
    regate = await startTestRegate(
      {
        connections: [
          { name: 'ok', url: upstream.url },
          { name: 'dead', url: `http://127.0.0.1:${dead}/mcp`, timeouts: { connect_seconds: 2 } },
          { name: 'slow', url: silent.url, timeouts: { response_seconds: 0.5 } },
          { name: 'cut', url: cut.url },
          { name: 'sampler', url: sampler.url },
        ],
      },
      { stages: [policy, recorder] },
    );
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([upstream, silent, cut, sampler].map((u) => u?.close()));
  });

  const call = (id: unknown, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
  const cases: ReadonlyArray<{ name: string; path: string; body: unknown; expect: number }> = [
    { name: 'an allowed call', path: 'ok', body: call(1, 'open'), expect: 1 },
    { name: 'a policy denial', path: 'ok', body: call(2, 'forbidden'), expect: 1 },
    { name: 'a refused id (reused within a batch) next to an allowed call', path: 'ok', body: [call(3, 'open'), call(3, 'open')], expect: 2 },
    { name: 'a malformed body', path: 'ok', body: '{"jsonrpc":"2.0",', expect: 1 },
    { name: 'an unreachable upstream', path: 'dead', body: call(4, 'open'), expect: 1 },
    { name: 'an upstream timeout', path: 'slow', body: call(5, 'open'), expect: 1 },
    // The client's stream breaks off too (upstream.ts): it got the one event sent before the cut.
    { name: 'an SSE stream cut mid-way', path: 'cut', body: call(6, 'open'), expect: 1 },
    { name: 'a listing filtered by policy', path: 'ok', body: { jsonrpc: '2.0', id: 7, method: 'tools/list' }, expect: 1 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { headers, items } = await postMcp(`${regate.url}/mcp/${c.path}`, c.body);
      const received = messagesOf(items);
      assert.equal(received.length, c.expect, JSON.stringify(received));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen.get(headers.get('x-request-id')!), received);
    });
  }

  it('the filtered listing shows only what policy allows', async () => {
    const { items } = await postMcp(`${regate.url}/mcp/ok`, { jsonrpc: '2.0', id: 8, method: 'tools/list' });
    assert.deepEqual((messagesOf(items)[0]!.result as { tools: Array<{ name: string }> }).tools.map((t) => t.name), ['open']);
  });

  it('a server request refused by policy never reaches the client; the upstream gets an error answer, and the denial is logged', async () => {
    const before = sampler.seen.length;
    const { items } = await postMcp(`${regate.url}/mcp/sampler`, call(9, 'ask'));
    const received = messagesOf(items);
    assert.deepEqual(received, [{ jsonrpc: '2.0', id: 9, result: { content: [], done: true } }]);
    const answered = sampler.seen.slice(before).map((s) => JSON.parse(s.body) as { id?: unknown; error?: { code: number; message: string } }).find((m) => m.id === 'srv-1');
    assert.ok(answered?.error, 'the upstream received an error answer to its sampling request');
    assert.equal(answered.error.code, -32003);
    assert.match(answered.error.message, /not for you/);
    const logged = decisions.find((d) => d.method === 'sampling/createMessage');
    assert.equal(logged?.outcome, 'deny');
    assert.equal(logged?.direction, 'server_to_client');
  });
});
