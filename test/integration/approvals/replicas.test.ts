import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { api, sharedKeyFile, startApprovalGateway, startCountingUpstream, toolCall, waitForPending, type ApprovalGateway } from '../../helpers/approvals.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';

type Result = { isError?: boolean; content?: Array<{ text?: string }>; _meta?: { 'regate/approval'?: { id: string; status: string } } };

const resultOf = (r: Awaited<ReturnType<typeof postMcp>>): Result => {
  const m = r.items.find((i) => i.kind === 'message' && (i.message as { id?: unknown }).id !== undefined)?.message as { result?: Result; error?: unknown } | undefined;
  assert.ok(m?.result, `a tool result, got ${JSON.stringify(r.items)}`);
  return m.result;
};
const textOf = (r: Result) => r.content?.map((c) => c.text ?? '').join('\n') ?? '';

/**
 * Two gateways (replicas) share one real Redis: a call held on one is decided through the other's
 * API and completes where it was held, exactly once; everything the lifecycle refuses is refused
 * over HTTP too.
 */
describe('approvals across replicas (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let up: RawUpstream & { calls(tool: string): number };
  let a: ApprovalGateway;
  let b: ApprovalGateway;
  let asyncGw: ApprovalGateway;
  let asyncShort: ApprovalGateway;
  let agent: string;
  let approver: string;
  let approver2: string;
  let bystander: string;

  before(async () => {
    // Persistent (AOF, fsync always) so a restart keeps pending approvals, as a production Redis would.
    const dir = await mkdtemp(join(tmpdir(), 'regate-redis-'));
    redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] });
    up = await startCountingUpstream();
    const keyFile = await sharedKeyFile();
    const doc = (approvals: Record<string, unknown>) => ({ connections: [{ name: 'crm', url: up.url }], redis: { url: redis.url }, approvals });
    a = await startApprovalGateway(doc({ timeout_seconds: 30, recheck_seconds: 1 }), keyFile);
    b = await startApprovalGateway(doc({ timeout_seconds: 30, recheck_seconds: 1 }), keyFile);
    asyncGw = await startApprovalGateway(doc({ mode: 'async', timeout_seconds: 30, max_uses: 2 }), keyFile);
    // Requests on this one expire quickly (a separate gateway, so a slow machine cannot expire the others).
    asyncShort = await startApprovalGateway(doc({ mode: 'async', timeout_seconds: 1 }), keyFile);
    agent = await a.token('agent', ['mcp-readers'], 'Agent Smith');
    approver = await a.token('boss', ['mcp-readers', 'mcp-approvers'], 'The Boss');
    approver2 = await a.token('boss2', ['mcp-approvers'], 'Second Boss');
    bystander = await a.token('dave', ['mcp-readers'], 'Dave');
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), asyncGw?.stop(), asyncShort?.stop()]);
    await up?.close();
    await redis?.stop();
  });

  const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

  it('a call held on one replica is approved through the other and completes on the first, once', async () => {
    const held = postMcp(`${a.url}/mcp/crm`, toolCall(1, 'delete_customer', { id: 'c-1' }, { 'regate/justification': 'GDPR erasure request #42' }), auth(agent));
    const [pending] = await waitForPending(b.url, approver);
    assert.equal(pending!.tool, 'delete_customer');
    assert.equal(pending!.justification, 'GDPR erasure request #42');
    assert.deepEqual(pending!.arguments, { id: 'c-1' });
    assert.deepEqual(pending!.requester, { id: 'agent', name: 'Agent Smith', type: 'user' });
    assert.equal(up.calls('delete_customer'), 0, 'nothing ran before the approval');
    const id = String(pending!.id);

    assert.equal((await api(b.url, bystander, `/approvals/${id}/approve`, {})).status, 403, 'a non-approver is refused');
    assert.equal((await api(b.url, agent, `/approvals/${id}/approve`, {})).status, 403, 'the requester is refused');
    const approved = await api(b.url, approver, `/approvals/${id}/approve`, { comment: 'ticket checked' });
    assert.equal(approved.status, 200);
    assert.equal(approved.json.status, 'approved');
    assert.equal((await api(b.url, approver2, `/approvals/${id}/deny`, { comment: 'too late' })).status, 409, 'a decision is final');

    const result = resultOf(await held);
    assert.equal(result.isError, undefined, textOf(result));
    assert.match(textOf(result), /ran delete_customer/);
    assert.equal(up.calls('delete_customer'), 1);
    const after = await api(a.url, agent, `/approvals/${id}`);
    assert.equal(after.json.status, 'used');
  });

  it('refuses self-approval even by an approver, and a forged id', async () => {
    const self = await a.token('boss', ['mcp-approvers'], 'The Boss');
    const held = postMcp(`${a.url}/mcp/crm`, toolCall(2, 'delete_customer', { id: 'c-2' }), auth(self));
    const [pending] = await waitForPending(b.url, approver2);
    const id = String(pending!.id);
    const mine = await api(b.url, approver, `/approvals/${id}/approve`, {});
    assert.equal(mine.status, 403);
    assert.match(String((mine.json.error as { message: string }).message), /own call/);
    for (const forged of ['A'.repeat(43), `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`, '../x', 'x'.repeat(500)]) {
      assert.equal((await api(b.url, approver2, `/approvals/${encodeURIComponent(forged)}/approve`, {})).status, 404, forged);
    }
    const denied = await api(b.url, approver2, `/approvals/${id}/deny`, { comment: 'not without a ticket' });
    assert.equal(denied.status, 200);
    const result = resultOf(await held);
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Second Boss denied .*"not without a ticket"/);
    assert.equal(up.calls('delete_customer'), 1, 'the denied call never ran');
  });

  it('two approvers racing on two replicas give one outcome', async () => {
    const before = up.calls('delete_customer');
    const held = postMcp(`${a.url}/mcp/crm`, toolCall(6, 'delete_customer', { id: 'c-6' }), auth(agent));
    const [pending] = await waitForPending(b.url, approver);
    const id = String(pending!.id);
    const [x, y] = await Promise.all([api(a.url, approver, `/approvals/${id}/approve`, {}), api(b.url, approver2, `/approvals/${id}/deny`, {})]);
    assert.deepEqual([x.status, y.status].sort(), [200, 409]);
    const result = resultOf(await held);
    const approved = x.status === 200;
    assert.equal(result.isError, approved ? undefined : true);
    assert.equal(up.calls('delete_customer'), before + (approved ? 1 : 0));
  });

  it('a requester who hangs up cancels the request, which can then no longer be approved', async () => {
    // The racing test before this one may or may not have run delete_customer: count from here.
    const before = up.calls('delete_customer');
    const ac = new AbortController();
    const held = postMcp(`${a.url}/mcp/crm`, toolCall(3, 'delete_customer', { id: 'c-3' }), { ...auth(agent), signal: ac.signal }).catch(() => 'aborted');
    const [pending] = await waitForPending(b.url, approver);
    const id = String(pending!.id);
    ac.abort();
    assert.equal(await held, 'aborted');
    const until = Date.now() + 10_000;
    let status = '';
    while (Date.now() < until && (status = String((await api(b.url, approver, `/approvals/${id}`)).json.status)) !== 'cancelled') await new Promise((r) => setTimeout(r, 50));
    assert.equal(status, 'cancelled');
    assert.equal((await api(b.url, approver, `/approvals/${id}/approve`, {})).status, 409);
    assert.equal(up.calls('delete_customer'), before, 'the cancelled call never ran');
  });

  it('survives a Redis restart while held: approved afterwards, it runs once', async () => {
    const before = up.calls('delete_customer');
    const held = postMcp(`${a.url}/mcp/crm`, toolCall(4, 'delete_customer', { id: 'c-4' }), auth(agent));
    const [pending] = await waitForPending(b.url, approver);
    await redis.restart();
    const until = Date.now() + 20_000;
    let approved = { status: 0, json: {} as Record<string, unknown> };
    // The API answers 503 until the replicas have reconnected.
    while (Date.now() < until && (approved = await api(b.url, approver, `/approvals/${String(pending!.id)}/approve`, {})).status === 503) await new Promise((r) => setTimeout(r, 200));
    assert.equal(approved.status, 200, JSON.stringify(approved.json));
    const result = resultOf(await held);
    assert.match(textOf(result), /ran delete_customer \{"id":"c-4"\}/);
    assert.equal(up.calls('delete_customer'), before + 1);
  });

  it('a request lost with the store (Redis emptied) never runs: the holder answers with a clear error', async () => {
    const before = up.calls('delete_customer');
    const held = postMcp(`${a.url}/mcp/crm`, toolCall(5, 'delete_customer', { id: 'c-5' }), auth(agent));
    await waitForPending(b.url, approver);
    execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL']);
    const result = resultOf(await held);
    assert.equal(result.isError, true);
    assert.match(textOf(result), /was lost .*not made; retry it/);
    assert.equal(up.calls('delete_customer'), before);
  });

  describe('async mode', () => {
    const call = (id: number, args: Record<string, unknown>) => postMcp(`${asyncGw.url}/mcp/crm`, toolCall(id, 'delete_customer', args), auth(agent));

    it('answers at once with an approval id; the identical retry runs as often as granted, other arguments never', async () => {
      const first = resultOf(await call(10, { id: 'c-10' }));
      assert.equal(first.isError, true);
      const id = first._meta?.['regate/approval']?.id;
      assert.ok(id);
      assert.match(textOf(first), new RegExp(`Approval request ${id}.*/approvals/${id}.*repeat this exact call`));
      const waiting = resultOf(await call(11, { id: 'c-10' }));
      assert.match(textOf(waiting), /still waits for approval/);
      assert.equal(waiting._meta?.['regate/approval']?.id, id, 'a retry before the decision does not open a second request');
      assert.equal((await api(b.url, approver, `/approvals/${id}/approve`, {})).status, 200);

      const other = resultOf(await call(12, { id: 'c-99' }));
      assert.equal(other.isError, true, 'different arguments do not ride');
      assert.notEqual(other._meta?.['regate/approval']?.id, id);
      const before = up.calls('delete_customer');
      assert.match(textOf(resultOf(await call(13, { id: 'c-10' }))), /ran delete_customer/);
      assert.match(textOf(resultOf(await call(14, { id: 'c-10' }))), /ran delete_customer/);
      const third = resultOf(await call(15, { id: 'c-10' }));
      assert.equal(third.isError, true, 'a grant is used at most max_uses times');
      assert.notEqual(third._meta?.['regate/approval']?.id, id);
      assert.equal(up.calls('delete_customer'), before + 2);
      assert.equal((await api(b.url, agent, `/approvals/${id}`)).json.status, 'used');
    });

    it('the requester may withdraw a pending request; nobody else may, and it can then not be approved', async () => {
      const first = resultOf(await call(30, { id: 'c-30' }));
      const id = first._meta!['regate/approval']!.id;
      assert.equal((await api(b.url, approver, `/approvals/${id}/cancel`, {})).status, 403);
      const withdrawn = await api(b.url, agent, `/approvals/${id}/cancel`, {});
      assert.equal(withdrawn.status, 200);
      assert.deepEqual([withdrawn.json.status, withdrawn.json.ended], ['cancelled', 'the requester withdrew it']);
      assert.equal((await api(b.url, agent, `/approvals/${id}/cancel`, {})).status, 409);
      assert.equal((await api(b.url, approver, `/approvals/${id}/approve`, {})).status, 409);
    });

    it('an expired request cannot be approved', async () => {
      const first = resultOf(await postMcp(`${asyncShort.url}/mcp/crm`, toolCall(20, 'delete_customer', { id: 'c-20' }), auth(agent)));
      const id = first._meta!['regate/approval']!.id;
      await new Promise((r) => setTimeout(r, 1100));
      const late = await api(b.url, approver, `/approvals/${id}/approve`, {});
      assert.equal(late.status, 409);
      assert.match(String((late.json.error as { message: string }).message), /expired/);
    });
  });
});
