import assert from 'node:assert/strict';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { api, sharedKeyFile, startApprovalGateway, startCountingUpstream, toolCall, waitForPending, type ApprovalGateway } from '../../helpers/approvals.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import { ReviewAggregator } from '../../../src/audit/review/aggregate.ts';

/**
 * The access review asks who approved a call and why: a held call's transcript carries its
 * approval (status, approver and comment, the requester's justification) next to its request,
 * decision and answer.
 */
describe('approvals in the transcript', function () {
  this.timeout(30_000);
  let up: RawUpstream & { calls(tool: string): number };
  let gw: ApprovalGateway;

  before(async () => {
    up = await startCountingUpstream();
    gw = await startApprovalGateway({ connections: [{ name: 'crm', url: up.url }], approvals: { timeout_seconds: 30, recheck_seconds: 1 } }, await sharedKeyFile());
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('records the approval of a held call with who decided it, their comment and the justification', async () => {
    const agent = await gw.token('agent', ['mcp-readers'], 'Agent Smith');
    const approver = await gw.token('boss', ['mcp-approvers'], 'The Boss');
    const held = postMcp(`${gw.url}/mcp/crm`, toolCall(1, 'delete_customer', { id: 'c-9' }, { 'regate/justification': 'ticket 77' }), { headers: { authorization: `Bearer ${agent}` } });
    const [pending] = await waitForPending(gw.url, approver);
    assert.equal((await api(gw.url, approver, `/approvals/${String(pending!.id)}/approve`, { comment: 'checked with the owner' })).status, 200);
    await held;
    assert.equal(up.calls('delete_customer'), 1);
    await gw.stop();
    const events = (await gw.transcript()).filter((e) => e.tool === 'delete_customer');
    assert.deepEqual([...new Set(events.map((e) => e.kind))].sort(), ['approval', 'decision', 'request', 'response']);
    const approval = events.find((e) => e.kind === 'approval')!;
    assert.equal(approval.approval_id, pending!.id);
    assert.equal(approval.justification, 'ticket 77');
    assert.match(JSON.stringify(approval), /boss/);
    assert.match(JSON.stringify(approval), /checked with the owner/);
  });

  it('records the decision that held the call, and the access review counts the approval as requested and granted', async () => {
    const events = (await gw.transcript()).filter((e) => e.tool === 'delete_customer');
    const decisions = events.filter((e) => e.kind === 'decision');
    assert.equal(decisions.length, 1);
    assert.equal(decisions[0]!.decision, 'approval', 'the transcript shows the decision that held the call, not the re-check that let it go on');
    assert.notEqual(decisions[0]!.rule, 'regate.tools.approved');
    assert.equal(decisions[0]!.approval_id, events.find((e) => e.kind === 'approval')!.approval_id);

    const review = new ReviewAggregator({ sinceMs: Date.now() - 3_600_000, untilMs: Date.now() + 60_000 });
    for (const e of await gw.transcript()) review.add(e);
    const agent = review.result({ source: 'test', events: { read: 0, duplicates: 0, invalid: 0, dedupe_window: 0 }, now: new Date() }).principals.find((p) => p.principal_id === 'agent')!;
    assert.equal(agent.approvals.requested, 1);
    assert.equal(agent.approvals.granted, 1);
    assert.deepEqual(agent.approvals.approvers, { 'The Boss': 1 });
    assert.deepEqual(agent.approvals.justifications, ['ticket 77']);
  });
});
