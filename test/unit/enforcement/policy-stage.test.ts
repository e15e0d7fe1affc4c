import assert from 'node:assert/strict';
import pino from 'pino';
import { buildConfig } from '../../../src/config/load.ts';
import { createPolicyStage } from '../../../src/enforcement/policy-stage.ts';
import type { Principal } from '../../../src/identity/principal.ts';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import type { CallRecord, ExchangeFacts } from '../../../src/pipeline/call-record.ts';
import { newCallRecord } from '../../../src/pipeline/compose.ts';
import type { Stage, UpstreamReply } from '../../../src/pipeline/stage.ts';
import type { PolicyDecision } from '../../../src/policy/decision.ts';
import type { PolicyInput } from '../../../src/policy/input.ts';

const connection = buildConfig({ connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }] }, {}).connections[0]!;
const principal = (id: string) => ({ id }) as Principal;
const ctx: ExchangeFacts = {
  requestId: 'r1',
  connection,
  sessionId: 's1',
  era: '2025',
  protocolVersion: undefined,
  http: { method: 'GET', path: '/mcp/crm', remoteAddress: '127.0.0.1', headers: {} },
  principal: principal('alice'),
  signal: new AbortController().signal,
};
const noUpstream: UpstreamReply = { answer: async () => {} };
/** The stage's view of one client message (the pipeline makes the record). */
const onClient = (stage: Stage, x: ExchangeFacts, m: unknown) => stage.request!(newCallRecord(x, m as JSONRPCMessage));
/** A server message, answering the request `answers` when given. */
const onServer = (stage: Stage, x: ExchangeFacts, m: unknown, answers?: unknown) =>
  stage.fromServer!(
    m as JSONRPCMessage,
    answers === undefined ? newCallRecord(x, m as JSONRPCMessage, 'server_to_client') : (newCallRecord(x, answers as JSONRPCMessage) as CallRecord),
    x,
    noUpstream,
  );

/** A policy that denies tools/call of anything named secret_*, allows the rest. */
function decide(input: PolicyInput): PolicyDecision {
  const name = input.mcp.tool?.name;
  const deny = typeof name === 'string' && name.startsWith('secret_');
  return { allow: !deny, reason: deny ? 'secret tool' : 'ok', rule: deny ? 't.deny' : 't.allow', outcome: deny ? 'deny' : 'allow', revision: 'r', decision_id: 'd', duration_us: 1 };
}

describe('policy stage', () => {
  const hook = createPolicyStage({ evaluate: decide, modeFor: () => 'enforce', onDecision: () => {}, log: pino({ level: 'silent' }) });
  const tools = { tools: [{ name: 'get_customer' }, { name: 'secret_export' }] };

  it('filters a listing it can tie to its tools/list request', async () => {
    const out = await onServer(hook, ctx, { jsonrpc: '2.0', id: 1, result: tools }, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.deepEqual((out as unknown as { result: typeof tools }).result.tools, [{ name: 'get_customer' }]);
  });

  it('filters a listing that arrives without its request (resumed stream), recognised by its shape', async () => {
    const out = await onServer(hook, ctx, { jsonrpc: '2.0', id: 1, result: tools });
    assert.deepEqual((out as unknown as { result: typeof tools }).result.tools, [{ name: 'get_customer' }]);
  });

  it('filters a listing-shaped answer even when it claims to answer another request (a reused id)', async () => {
    const out = await onServer(hook, ctx, { jsonrpc: '2.0', id: 1, result: tools }, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.deepEqual((out as unknown as { result: typeof tools }).result.tools, [{ name: 'get_customer' }]);
  });

  it('answers a denied tools/call itself, keeping the id and the reason', async () => {
    const v = await onClient(hook, ctx, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'secret_export', arguments: {} } });
    assert.equal(v.action, 'reply');
    const reply = (v as unknown as { reply: { id: number; result: { isError: boolean; content: Array<{ text: string }> } } }).reply;
    assert.equal(reply.id, 9);
    assert.equal(reply.result.isError, true);
    assert.match(reply.result.content[0]!.text, /secret tool \[rule t\.deny/);
  });

  describe('input.session.calls', () => {
    const seen: PolicyInput[] = [];
    const counting = createPolicyStage({
      evaluate: (input) => (seen.push(input), decide(input)),
      modeFor: () => 'enforce',
      onDecision: () => {},
      log: pino({ level: 'silent' }),
    });
    const call = (c: ExchangeFacts, id: number) => onClient(counting, c, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_customer', arguments: {} } });
    const lastCalls = () => seen.at(-1)!.session.calls;
    const as = (id: string, sessionId: string | undefined): ExchangeFacts => ({ ...ctx, principal: principal(id), sessionId });

    it('counts the tools/call requests made before this one, and nothing else', async () => {
      const c = as('carol', 'sc');
      await onClient(counting, c, { jsonrpc: '2.0', id: 1, method: 'ping' });
      await onClient(counting, c, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
      await call(c, 3);
      assert.equal(lastCalls(), 0);
      await call(c, 4);
      assert.equal(lastCalls(), 1);
    });

    it('keeps each principal its own count, even under the same session id', async () => {
      await call(as('dave', 'shared'), 1);
      await call(as('dave', 'shared'), 2);
      await call(as('erin', 'shared'), 3);
      assert.equal(lastCalls(), 0);
      await call(as('dave', 'shared'), 4);
      assert.equal(lastCalls(), 2);
    });

    it('counts calls without a session id per principal and connection', async () => {
      await call(as('frank', undefined), 1);
      await call(as('frank', undefined), 2);
      assert.equal(lastCalls(), 1);
    });
  });
});
