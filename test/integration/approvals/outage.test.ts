import assert from 'node:assert/strict';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { sharedKeyFile, startApprovalGateway, startCountingUpstream, toolCall, waitForPending, type ApprovalGateway } from '../../helpers/approvals.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';

/**
 * Redis gone for good while a call is held: the call is answered with a clear error at its
 * deadline and never runs; a new call needing approval is refused while the store is down.
 */
describe('approvals while Redis is down (real redis-server)', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let up: RawUpstream & { calls(tool: string): number };
  let gw: ApprovalGateway;

  before(async () => {
    redis = await startRedis();
    up = await startCountingUpstream();
    gw = await startApprovalGateway({ connections: [{ name: 'crm', url: up.url }], redis: { url: redis.url, command_timeout_ms: 500 }, approvals: { timeout_seconds: 3, recheck_seconds: 0.5 } }, await sharedKeyFile());
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
    await redis?.stop();
  });

  it('answers a held call with an error at its deadline, and refuses new ones, never running them', async () => {
    const agent = await gw.token('agent', ['mcp-readers']);
    const approver = await gw.token('boss', ['mcp-approvers']);
    const auth = { headers: { authorization: `Bearer ${agent}` } };
    const held = postMcp(`${gw.url}/mcp/crm`, toolCall(1, 'delete_customer', { id: 'c-1' }), auth);
    await waitForPending(gw.url, approver);
    await redis.stop();
    const answer = (await held).items.find((i) => i.kind === 'message')?.message as { result?: { isError?: boolean; content: Array<{ text: string }>; _meta: Record<string, { code?: string }> } };
    assert.equal(answer.result?.isError, true);
    assert.match(answer.result!.content[0]!.text, /could not learn the outcome .* before its deadline .*not made/);
    assert.equal(answer.result!._meta['regate/approval']?.code, 'REGATE_ERR_STORE_UNAVAILABLE', 'an outage, not a refusal');

    const refused = (await postMcp(`${gw.url}/mcp/crm`, toolCall(2, 'delete_customer', { id: 'c-2' }), auth)).items[0]?.message as { error?: { data?: { code?: string } } };
    assert.equal(refused.error?.data?.code, 'REGATE_ERR_STORE_UNAVAILABLE');
    assert.equal(up.calls('delete_customer'), 0);
  });
});
