import assert from 'node:assert/strict';
import { REDACTED } from '../../../src/policy/redact-arguments.ts';
import pino from 'pino';
import { ApprovalBook } from '../../../src/approvals/book.ts';
import { approvalsConfigSchema } from '../../../src/approvals/config.ts';
import { createApprovalStage, NO_JUSTIFICATION } from '../../../src/approvals/stage.ts';
import { buildConfig } from '../../../src/config/load.ts';
import type { Principal } from '../../../src/identity/principal.ts';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import type { CallRecord, ExchangeFacts } from '../../../src/pipeline/call-record.ts';
import { newCallRecord } from '../../../src/pipeline/compose.ts';
import type { ReleasedVerdict, RequestVerdict } from '../../../src/pipeline/stage.ts';
import type { PolicyDecision } from '../../../src/policy/decision.ts';
import type { ApprovalInput } from '../../../src/policy/input.ts';
import { firstDecisionOf } from '../../../src/policy/first-decision.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';

const connection = buildConfig({ connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }] }, {}).connections[0]!;
const agent = { id: 'agent', name: 'Agent', type: 'user', tenant: 't', groups: ['mcp-readers'] } as unknown as Principal;
const boss = { id: 'boss', name: 'Boss', groups: ['mcp-approvers'] };

function decision(outcome: PolicyDecision['outcome'], rule = 'regate.tools.destructive'): PolicyDecision {
  return {
    allow: outcome === 'allow',
    outcome,
    reason: outcome === 'allow' ? 'approved' : 'destructive',
    rule,
    revision: 'r1',
    decision_id: `d-${rule}`,
    duration_us: 1,
    ...(outcome === 'approval' ? { approval: { approvers: ['mcp-approvers'], min_approvals: 1, ttl_seconds: 60, reason: 'destructive tool' } } : {}),
    audit: { redact_arguments: ['$.secret'] },
  };
}

/** A stage over a MemoryStore whose re-decision answers `redecision` and records what it saw. */
function setup(redecision: PolicyDecision['outcome'] = 'allow', mode: 'hold' | 'async' = 'hold') {
  const book = new ApprovalBook({ store: new MemoryStore(), log: pino({ level: 'silent' }) });
  const seen: ApprovalInput[] = [];
  const stage = createApprovalStage({
    book,
    config: approvalsConfigSchema.parse({ mode, recheck_seconds: 0.05 }),
    pageUrl: () => 'http://127.0.0.1:8080/approvals',
    redecide: (_call, a) => {
      seen.push(a);
      return decision(redecision, redecision === 'allow' ? 'regate.tools.approved' : 'regate.approval.invalid');
    },
    log: pino({ level: 'silent' }),
  });
  const ac = new AbortController();
  const exchange: ExchangeFacts = {
    requestId: 'r1', connection, sessionId: undefined, era: '2025', protocolVersion: undefined,
    http: { method: 'POST', path: '/mcp/crm', remoteAddress: '127.0.0.1', headers: {} }, principal: agent, signal: ac.signal,
  };
  const callWith = (outcome: PolicyDecision['outcome'], meta?: Record<string, unknown>): CallRecord => {
    const c = newCallRecord(exchange, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'delete_customer', arguments: { id: 'c-1', secret: 's3cr3t' }, ...(meta ? { _meta: meta } : {}) } } as JSONRPCMessage);
    c.decision = decision(outcome);
    c.enforced = true;
    return c;
  };
  return { book, stage, seen, ac, callWith };
}

const held = (v: RequestVerdict) => {
  assert.equal(v.action, 'hold');
  return v as Extract<RequestVerdict, { action: 'hold' }>;
};
const textOf = (v: ReleasedVerdict) => ((v as { reply?: { result?: { content: Array<{ text: string }> } } }).reply?.result?.content[0]?.text ?? '');

describe('approvals stage', () => {
  it('lets calls without an approval obligation through untouched', async () => {
    const { stage, callWith, book } = setup();
    assert.deepEqual(await stage.request!(callWith('allow')), { action: 'continue' });
    assert.deepEqual(await book.pending(), []);
  });

  it('holds a call, stores the redacted request with its justification, and names who and where', async () => {
    const { stage, callWith, book } = setup();
    const call = callWith('approval', { 'regate/justification': '  ticket 4711 ' });
    const v = held(await stage.request!(call));
    const [r] = await book.pending();
    assert.ok(r);
    assert.equal(v.waitingFor, `approval by mcp-approvers at http://127.0.0.1:8080/approvals/${r.id}`);
    assert.deepEqual(r.arguments, { id: 'c-1', secret: REDACTED });
    assert.equal(r.justification, 'ticket 4711');
    assert.deepEqual(call.approval, { id: r.id, status: 'pending', approvers: [], justification: 'ticket 4711' });
    assert.equal((await book.vote(r.id, boss, 'deny', undefined)).ok, true);
    await v.release;
  });

  it('records "none given" without a justification', async () => {
    const { stage, callWith, book } = setup();
    const v = held(await stage.request!(callWith('approval')));
    const [r] = await book.pending();
    assert.equal(r!.justification, NO_JUSTIFICATION);
    await book.vote(r!.id, boss, 'deny', undefined);
    await v.release;
  });

  it('masks the justification before it is stored, so a card number typed as one reaches no approver, notification or transcript', async () => {
    const { stage, callWith, book } = setup();
    const call = callWith('approval', { 'regate/justification': 'refund to card 4111 1111 1111 1111, ticket 12' });
    const v = held(await stage.request!(call));
    const [r] = await book.pending();
    assert.doesNotMatch(r!.justification, /4111 1111 1111 1111/);
    assert.match(r!.justification, /^refund to card .+, ticket 12$/);
    assert.equal(call.approval?.justification, r!.justification);
    await book.vote(r!.id, boss, 'deny', undefined);
    await v.release;
  });

  it('on approval re-decides with input.approval, spends the grant and continues with the new decision', async () => {
    const { stage, callWith, book, seen } = setup('allow');
    const call = callWith('approval');
    const v = held(await stage.request!(call));
    const [r] = await book.pending();
    await book.vote(r!.id, boss, 'approve', 'fine');
    assert.deepEqual(await v.release, { action: 'continue' });
    assert.equal(seen.length, 1);
    assert.deepEqual([seen[0]!.status, seen[0]!.tool, seen[0]!.approved_by], ['approved', 'delete_customer', [{ id: 'boss', groups: ['mcp-approvers'] }]]);
    assert.equal(call.decision?.rule, 'regate.tools.approved');
    assert.equal(firstDecisionOf(call, call.decision)?.outcome, 'approval', 'the decision that held the call is kept for the transcript');
    assert.equal(call.approval?.status, 'used');
    assert.deepEqual(call.approval?.approvers.map((a) => [a.id, a.comment]), [['boss', 'fine']]);
    assert.equal((await book.get(r!.id))?.status, 'used');
  });

  it('does not forward, nor spend the grant, when the re-decision does not allow', async () => {
    const { stage, callWith, book } = setup('deny');
    const v = held(await stage.request!(callWith('approval')));
    const [r] = await book.pending();
    await book.vote(r!.id, boss, 'approve', undefined);
    const out = await v.release;
    assert.equal(out.action, 'reply');
    assert.match(textOf(out), /denied/);
    assert.equal((await book.get(r!.id))?.status, 'approved');
  });

  it('answers a denial with the approver and the comment', async () => {
    const { stage, callWith, book } = setup();
    const v = held(await stage.request!(callWith('approval')));
    const [r] = await book.pending();
    await book.vote(r!.id, boss, 'deny', 'no ticket');
    const out = await v.release;
    assert.match(textOf(out), /Boss denied the call to tool "delete_customer" .*"no ticket"/);
    assert.equal((out as { reply?: { result?: { isError?: boolean } } }).reply?.result?.isError, true);
  });

  it('cancels the request when the requester hangs up', async () => {
    const { stage, callWith, book, ac } = setup();
    const v = held(await stage.request!(callWith('approval')));
    const [r] = await book.pending();
    ac.abort();
    assert.deepEqual(await v.release, { action: 'reply' });
    assert.equal((await book.get(r!.id))?.status, 'cancelled');
    assert.equal((await book.vote(r!.id, boss, 'approve', undefined)).ok, false);
  });

  it("the obligation's mode wins over the configured one", async () => {
    const { stage, callWith } = setup('allow', 'hold');
    const call = callWith('approval');
    call.decision = { ...call.decision!, approval: { ...call.decision!.approval!, mode: 'async' } };
    assert.equal((await stage.request!(call)).action, 'reply');
  });

  it('async: answers at once, then lets the identical call through once approved', async () => {
    const { stage, callWith, book } = setup('allow', 'async');
    const first = await stage.request!(callWith('approval'));
    assert.equal(first.action, 'reply');
    assert.match(textOf(first as ReleasedVerdict), /repeat this exact call/);
    const [r] = await book.pending();
    await book.vote(r!.id, boss, 'approve', undefined);
    assert.deepEqual(await stage.request!(callWith('approval')), { action: 'continue' });
    const again = await stage.request!(callWith('approval'));
    assert.equal(again.action, 'reply', 'a grant of one use is spent');
  });
});
