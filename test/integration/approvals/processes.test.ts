import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createDevProvider } from '../../../src/identity/create.ts';
import { COMMITTED_BUNDLE } from '../../helpers/gateway.ts';
import { api, sharedKeyFile, startCountingUpstream, waitForPending } from '../../helpers/approvals.ts';
import { connectStreamableHttp } from '../../helpers/peers.ts';
import { spawnPeer, type ChildPeer } from '../../helpers/peers.ts';
import { freePort, waitUntil } from '../../helpers/ports.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';

const MAIN = join(import.meta.dirname, '../../../src/main.ts');

/**
 * The story of the issue with real processes: two `regate serve` replicas share one redis-server;
 * an agent (the v1 SDK client) calls delete_customer on the first, an approver approves it through
 * the second's API, and the agent's call completes on the first; the upstream sees it once.
 */
describe('approvals: two regate processes, one Redis', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let up: RawUpstream & { calls(tool: string): number };
  const replicas: Array<{ peer: ChildPeer; url: string }> = [];
  let keyFile: string;

  before(async () => {
    redis = await startRedis();
    up = await startCountingUpstream();
    keyFile = await sharedKeyFile();
    for (const name of ['one', 'two']) {
      const port = await freePort();
      const file = join(dirname(keyFile), `${name}.yaml`);
      await writeFile(
        file,
        [
          `listen: { host: 127.0.0.1, port: ${port} }`,
          `connections: [ { name: crm, url: "${up.url}" } ]`,
          `auth: { provider: dev, dev: { enabled: true, key_file: ${keyFile} } }`,
          `redis: { url: "${redis.url}" }`,
          `policy: { bundle: { path: ${COMMITTED_BUNDLE} } }`,
          `approvals: { mode: hold, timeout_seconds: 60, recheck_seconds: 2 }`,
          `logging: { level: warn }`,
        ].join('\n'),
      );
      const peer = spawnPeer(process.execPath, [MAIN, 'serve', '--config', file]);
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(`regate ${name}`, async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 30_000, abort: () => peer.exited() && `${peer.exited()}\n${peer.output()}` }).catch((err: Error) => {
        throw new Error(`${err.message}\n${peer.output()}`);
      });
      replicas.push({ peer, url });
    }
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.peer.stop()));
    await up?.close();
    await redis?.stop();
  });

  it('a call held on the first replica is approved through the second and completes on the first, once', async () => {
    const dev = await createDevProvider({ provider: 'dev', dev: { enabled: true, key_file: keyFile, token_ttl_seconds: 3600 } } as never, { logger: { warn: () => {} } });
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
