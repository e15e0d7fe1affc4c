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
import { captureLog } from '../../helpers/captured-log.ts';

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
    JSON.stringify(m).length,
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

  it('refuses a server request whose id is in regate\'s namespace, answering the upstream, whatever the policy says', async () => {
    const answered: JSONRPCMessage[] = [];
    const upstream: UpstreamReply = { answer: async (m) => void answered.push(m) };
    const m = { jsonrpc: '2.0', id: 'regate-ask-abc', method: 'elicitation/create', params: { message: 'hi' } } as JSONRPCMessage;
    const out = await hook.fromServer!(m, newCallRecord(ctx, m, 'server_to_client'), ctx, upstream, 10);
    assert.equal(out, null, 'never delivered to the client');
    assert.equal((answered[0] as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_RESERVED_NAME');
  });

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

  describe('the 2026-07-28 era', () => {
    const modern: ExchangeFacts = { ...ctx, sessionId: undefined, era: '2026', protocolVersion: '2026-07-28' };

    it('filters a server/discover result\'s listings like tools/list and marks it private', async () => {
      const discover = { supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, ttlMs: 60_000, cacheScope: 'shared', ...tools, prompts: [{ name: 'p' }] };
      const out = await onServer(hook, modern, { jsonrpc: '2.0', id: 'd', result: discover }, { jsonrpc: '2.0', id: 'd', method: 'server/discover' });
      const r = (out as unknown as { result: Record<string, unknown> }).result;
      assert.deepEqual(r.tools, [{ name: 'get_customer' }]);
      assert.deepEqual(r.prompts, [{ name: 'p' }]);
      assert.deepEqual(r.supportedVersions, ['2026-07-28']);
      assert.equal(r.cacheScope, 'private');
      assert.equal(r.ttlMs, 60_000);
    });

    it('marks every listing it passed through its filter private, even when nothing was removed', async () => {
      const out = await onServer(hook, modern, { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'get_customer' }], ttlMs: 5, cacheScope: 'shared' } }, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
      assert.deepEqual((out as unknown as { result: unknown }).result, { tools: [{ name: 'get_customer' }], ttlMs: 5, cacheScope: 'private' });
    });

    it('adds no cache fields to a 2025-era listing', async () => {
      const out = await onServer(hook, ctx, { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'get_customer' }] } }, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
      assert.deepEqual((out as unknown as { result: unknown }).result, { tools: [{ name: 'get_customer' }] });
    });

    it('says a denial result is complete (resultType), as the v2 client requires in this era', async () => {
      const deny = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'secret_export', arguments: {} } };
      const modernReply = ((await onClient(hook, modern, deny)) as unknown as { reply: { result: Record<string, unknown> } }).reply.result;
      const legacyReply = ((await onClient(hook, ctx, deny)) as unknown as { reply: { result: Record<string, unknown> } }).reply.result;
      assert.equal(modernReply.resultType, 'complete');
      assert.equal(modernReply.isError, true);
      assert.equal('resultType' in legacyReply, false);
    });

    it('hands policy the protocol version and the client facts of the envelope', async () => {
      const inputs: PolicyInput[] = [];
      const stage = createPolicyStage({ evaluate: (i) => (inputs.push(i), decide(i)), modeFor: () => 'enforce', onDecision: () => {}, log: pino({ level: 'silent' }) });
      const client = { name: 'agent', version: '2.4.0', capabilities: { elicitation: {} } };
      await onClient(stage, { ...modern, client }, { jsonrpc: '2.0', id: 1, method: 'server/discover' });
      assert.equal(inputs[0]!.mcp.protocol_version, '2026-07-28');
      assert.deepEqual(inputs[0]!.mcp.client, client);
      assert.equal(inputs[0]!.session.id, undefined);
    });

    describe('input_required results', () => {
      /** Refuses elicitation/create sent to the client, allows everything else. */
      const refuseElicitation = (input: PolicyInput): PolicyDecision => {
        const deny = input.mcp.direction === 'server_to_client' && input.mcp.method === 'elicitation/create';
        return { allow: !deny, reason: deny ? 'no elicitation here' : 'ok', rule: deny ? 's.refused' : 's.allowed', outcome: deny ? 'deny' : 'allow', revision: 'r', decision_id: 'd', duration_us: 1 };
      };
      const state = 'opaque-server-state-'.repeat(8);
      const asking = (requests: Record<string, unknown>) => ({
        jsonrpc: '2.0',
        id: 7,
        result: { resultType: 'input_required', inputRequests: requests, requestState: state },
      });
      const elicit = { method: 'elicitation/create', params: { message: 'Confirm?', requestedSchema: { type: 'object', properties: {} } } };
      const roots = { method: 'roots/list' };
      const callTool = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'confirm-action', arguments: {} } };
      const setup = () => {
        const records: Array<Record<string, unknown>> = [];
        const captured = captureLog('debug');
        const stage = createPolicyStage({ evaluate: refuseElicitation, modeFor: () => 'enforce', onDecision: (r) => records.push(r as never), log: captured.log });
        return { stage, records, captured };
      };

      it('decides each input request as a server->client request and removes the refused ones', async () => {
        const { stage, records, captured } = setup();
        const out = (await onServer(stage, modern, asking({ confirm: elicit, where: roots }), callTool)) as unknown as { result: Record<string, unknown> };
        assert.deepEqual(out.result.inputRequests, { where: roots });
        assert.equal(out.result.requestState, state, 'requestState passes through unchanged');
        const decided = records.filter((r) => r.direction === 'server_to_client').map((r) => [r.method, r.outcome]);
        assert.deepEqual(decided, [['elicitation/create', 'deny'], ['roots/list', 'allow']]);
        assert.ok(!captured.text().includes(state), 'requestState is never logged in full');
        assert.match(captured.text(), /sha256:[0-9a-f]{16} \(160 chars\)/);
      });

      it('answers the client\'s request with a refusal it can act on when nothing is left', async () => {
        const { stage, captured } = setup();
        const out = (await onServer(stage, modern, asking({ confirm: elicit }), callTool)) as unknown as { id: number; error: { code: number; message: string } };
        assert.equal(out.id, 7);
        assert.match(JSON.stringify(out.error), /elicitation\/create.*no elicitation here/);
        assert.ok(!captured.text().includes(state));
      });

      it('in shadow mode decides and records each input request, and removes none', async () => {
        const records: Array<Record<string, unknown>> = [];
        const stage = createPolicyStage({ evaluate: refuseElicitation, modeFor: () => 'shadow', onDecision: (r) => records.push(r as never), log: pino({ level: 'silent' }) });
        const m = asking({ confirm: elicit });
        assert.deepEqual(await onServer(stage, modern, m, callTool), m);
        assert.deepEqual(records.map((r) => [r.method, r.outcome, r.enforced]), [['elicitation/create', 'deny', false]]);
      });

      it('refuses an input request under a key in regate\'s namespace, in shadow mode too', async () => {
        const records: Array<Record<string, unknown>> = [];
        const stage = createPolicyStage({ evaluate: decide, modeFor: () => 'shadow', onDecision: (r) => records.push(r as never), log: pino({ level: 'silent' }) });
        const out = (await onServer(stage, modern, asking({ 'regate/justification': elicit, where: roots }), callTool)) as unknown as { result: Record<string, unknown> };
        assert.deepEqual(out.result.inputRequests, { where: roots });
      });

      it('leaves a result whose input requests are all allowed untouched', async () => {
        const { stage } = setup();
        const m = asking({ where: roots });
        assert.deepEqual(await onServer(stage, modern, m, callTool), m);
      });
    });
  });
});
