import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import { BundleServer } from '../../fixtures/policy/bundle-server.ts';
import { FIXTURE_REGO, buildBundle, scratch } from '../../fixtures/policy/bundles.ts';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { connectClient } from '../../helpers/peers.ts';
import { waitUntil } from '../../helpers/ports.ts';

type CallResult = { isError?: boolean; content: Array<{ text: string }>; _meta?: Record<string, { rule: string; revision: string }> };

/** Shadow mode, failing closed, and bundles replaced under load without a restart. */
describe('policy lifecycle: shadow mode, fail closed, hot bundle swap', function () {
  this.timeout(120_000);
  const upstreamToken = 'crm-gateway-credential';
  let demo: DemoServer;
  let work: { dir: string; dispose: () => Promise<void> };

  before(async () => {
    demo = await startDemoServer({ requiredToken: upstreamToken });
    work = await scratch('regate-lifecycle-');
  });
  after(async () => {
    await demo?.close();
    await work?.dispose();
  });

  const crm = () => ({ name: 'crm', url: demo.url, headers: { Authorization: `Bearer ${upstreamToken}` } });
  async function call(gw: TestGateway, groups: string[], tool = 'get_customer'): Promise<CallResult> {
    const c = await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', { headers: { Authorization: `Bearer ${await gw.token('u', groups)}` } });
    try {
      return (await c.client.callTool({ name: tool, arguments: { id: 'cus_004' } })) as CallResult;
    } finally {
      await c.close();
    }
  }

  it('shadow mode on a connection decides and records, but never blocks', async () => {
    const gw = await startTestGateway({ connections: [{ ...crm(), policy: { mode: 'shadow' } }] });
    try {
      const r = await call(gw, ['contractors']);
      assert.notEqual(r.isError, true, 'the call went through');
      const metrics = await (await fetch(`${gw.regate.url}/metrics`)).text();
      assert.match(metrics, /regate_policy_decisions_total\{connection="crm",outcome="deny",rule="[^"]+",enforced="false"\} [1-9]/);
    } finally {
      await gw.stop();
    }
  });

  const failing: ReadonlyArray<{ name: string; rego: string }> = [
    { name: 'an undefined decision', rego: 'undefined' },
    { name: 'a Rego runtime error (conflicting rule outputs)', rego: 'always-conflict' },
    { name: 'a malformed decision', rego: 'malformed' },
  ];
  for (const f of failing) {
    it(`${f.name} denies every message with rule regate.fail_closed`, async () => {
      const bundle = join(work.dir, `${f.rego}.tar.gz`);
      await writeFile(bundle, await buildBundle(work.dir, { source: join(FIXTURE_REGO, f.rego), revision: f.rego }));
      const gw = await startTestGateway({ connections: [crm()], policy: { bundle: { path: bundle } } });
      try {
        const res = await fetch(`${gw.regate.url}/mcp/crm`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await gw.token('u', ['mcp-readers'])}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_customer', arguments: { id: 'cus_001' } } }),
        });
        const body = (await res.json()) as { id: number; result: CallResult };
        assert.equal(body.id, 7);
        assert.equal(body.result.isError, true);
        assert.equal(body.result._meta?.['regate/decision']?.rule, 'regate.fail_closed');
      } finally {
        await gw.stop();
      }
    });
  }

  it('a broken bundle on the bundle server leaves the old policy enforcing; a good one takes effect without restart', async () => {
    const server = new BundleServer();
    await server.start();
    server.serve(await buildBundle(work.dir, { revision: 'rev-one' }));
    const gw = await startTestGateway({ connections: [crm()], policy: { bundle: { url: server.url, poll_seconds: 0.2 } } });
    try {
      const revisionOf = async () => (await call(gw, ['mcp-readers'], 'delete_customer'))._meta?.['regate/decision']?.revision;
      assert.equal(await revisionOf(), 'rev-one');

      server.serve(Buffer.from('this is not a gzip tarball'));
      await waitUntil('the broken bundle is refused', async () => ((await (await fetch(`${gw.regate.url}/readyz`)).json()) as { components: { policy: { details: { refusals: number } } } }).components.policy.details.refusals > 0, { timeoutMs: 10_000 });
      assert.equal(await revisionOf(), 'rev-one', 'the old policy still decides');
      assert.equal((await fetch(`${gw.regate.url}/readyz`)).status, 200, 'still ready: a policy is enforcing');

      server.serve(await buildBundle(work.dir, { revision: 'rev-two' }));
      await waitUntil('the good bundle is active', async () => gw.policy.current()?.revision === 'rev-two', { timeoutMs: 10_000 });
      assert.equal(await revisionOf(), 'rev-two');
    } finally {
      await gw.stop();
      await server.stop();
    }
  });
});
