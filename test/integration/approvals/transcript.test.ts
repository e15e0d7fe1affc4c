import assert from 'node:assert/strict';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { api, sharedKeyFile, startApprovalGateway, startCountingUpstream, toolCall, waitForPending, type ApprovalGateway } from '../../helpers/approvals.ts';
import { postMcp } from '../../helpers/mcp-http.ts';

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
});
