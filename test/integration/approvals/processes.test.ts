import assert from 'node:assert/strict';
import { api, devSigner, sharedKeyFile, startCountingUpstream, startReplica, waitForPending, type Replica } from '../../helpers/approvals.ts';
import { connectStreamableHttp } from '../../helpers/peers.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';

/**
 * The story of the issue with real processes: two `regate serve` replicas share one redis-server;
 * an agent (the v1 SDK client) calls delete_customer on the first, an approver approves it through
 * the second's API, and the agent's call completes on the first; the upstream sees it once.
 */
describe('approvals: two regate processes, one Redis', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let up: RawUpstream & { calls(tool: string): number };
  const replicas: Replica[] = [];
  let keyFile: string;

  before(async () => {
    redis = await startRedis();
    up = await startCountingUpstream();
    keyFile = await sharedKeyFile();
    for (const name of ['one', 'two']) {
      replicas.push(await startReplica({ name, upstreamUrl: up.url, redisUrl: redis.url, keyFile, approvals: '{ mode: hold, timeout_seconds: 60, recheck_seconds: 2 }' }));
    }
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.peer.stop()));
    await up?.close();
    await redis?.stop();
  });

  it('a call held on the first replica is approved through the second and completes on the first, once', async () => {
    const dev = await devSigner(keyFile);
    const agent = await dev.mint({ sub: 'agent', name: 'Agent', groups: ['mcp-readers'] });
    const approver = await dev.mint({ sub: 'boss', name: 'Boss', groups: ['mcp-approvers'] });
    const one = replicas[0]!;
    const two = replicas[1]!;
    const client = await connectStreamableHttp(`${one.url}/mcp/crm`, { headers: { authorization: `Bearer ${agent}` } });
    try {
      const call = client.client.callTool({ name: 'delete_customer', arguments: { id: 'c-7' }, _meta: { 'regate/justification': 'duplicate record' } });
      const [pending] = await waitForPending(two.url, approver);
      assert.equal(pending!.justification, 'duplicate record');
      assert.equal(up.calls('delete_customer'), 0);
      assert.equal((await api(two.url, approver, `/approvals/${String(pending!.id)}/approve`, { comment: 'ok' })).status, 200);
      const result = (await call) as { isError?: boolean; content: Array<{ text: string }> };
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.match(result.content[0]!.text, /ran delete_customer \{"id":"c-7"\}/);
      assert.equal(up.calls('delete_customer'), 1);
    } finally {
      await client.close();
    }
  });
});
