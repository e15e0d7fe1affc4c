import assert from 'node:assert/strict';
import type { DemoServer } from '../../../src/demo/demo-server.ts';
import { startDemoGateway, type DemoGateway } from '../../helpers/demo-gateway.ts';
import { connectClient, type McpTestClient } from '../../helpers/peers.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

type CallResult = { isError?: boolean; content: Array<{ type: string; text: string }>; structuredContent?: unknown };

/** The committed default policy, enforced end to end on the demo CRM through the SDK client. */
describe('policy enforcement end to end (default bundle, demo CRM, SDK client)', function () {
  this.timeout(30_000);
  let d: DemoGateway;
  let demo: DemoServer;
  let gw: TestGateway;

  before(async () => {
    d = await startDemoGateway();
    ({ demo, gw } = d);
  });
  after(async () => {
    await d?.stop();
  });

  async function as(sub: string, groups: string[]): Promise<McpTestClient<never>> {
    return (await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', {
      headers: { Authorization: `Bearer ${await gw.token(sub, groups)}` },
    })) as McpTestClient<never>;
  }

  it('a reader sees only the tools policy lets it use', async () => {
    const c = await as('alice', ['mcp-readers']);
    const names = (await c.client.listTools()).tools.map((t) => t.name).sort();
    await c.close();
    assert.deepEqual(names, ['delete_customer', 'get_customer', 'list_customers', 'search_customers', 'update_customer_tier']);
  });

  it('an allowed call reaches the upstream and returns its result', async () => {
    const c = await as('alice', ['mcp-readers']);
    const r = (await c.client.callTool({ name: 'get_customer', arguments: { id: 'cus_002' } })) as CallResult;
    await c.close();
    assert.notEqual(r.isError, true);
    assert.equal((r.structuredContent as { customer: { id: string } }).customer.id, 'cus_002');
  });

  it('a destructive call is refused with a reason the agent can act on, and never reaches the upstream', async () => {
    const c = await as('alice', ['mcp-readers']);
    const before = demo.store.get('cus_003');
    const r = (await c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_003' } })) as CallResult & { _meta?: Record<string, { rule: string; decision_id: string }> };
    await c.close();
    assert.equal(r.isError, true);
    assert.match(r.content[0]!.text, /requires human approval.*delete_customer.*mcp-approvers/);
    assert.equal(r._meta?.['regate/decision']?.rule, 'regate.tools.destructive');
    assert.deepEqual(demo.store.get('cus_003'), before, 'the customer still exists');
  });

  it('a denied tool is refused even when the agent calls it without listing first', async () => {
    const c = await as('alice', ['mcp-readers']);
    const r = (await c.client.callTool({ name: 'export_customers_csv', arguments: {} })) as CallResult;
    await c.close();
    assert.equal(r.isError, true);
    assert.match(r.content[0]!.text, /regate policy denied the call to tool "export_customers_csv"/);
  });

  it('a principal outside the reader group sees no tools and cannot call one', async () => {
    const c = await as('mallory', ['contractors']);
    assert.deepEqual((await c.client.listTools()).tools, []);
    const r = (await c.client.callTool({ name: 'get_customer', arguments: { id: 'cus_001' } })) as CallResult;
    await c.close();
    assert.equal(r.isError, true);
    assert.match(r.content[0]!.text, /regate policy denied/);
  });

  it('resources and prompts are decided too', async () => {
    const c = await as('alice', ['mcp-readers']);
    const prompts = (await c.client.listPrompts()).prompts.map((p) => p.name);
    const readme = await c.client.readResource({ uri: 'demo://readme' });
    await c.close();
    assert.deepEqual(prompts, ['summarize_customer']);
    assert.ok(readme.contents.length > 0);
  });

  it('every decision carries the active bundle revision in /readyz and /metrics', async () => {
    const revision = gw.policy.current()!.revision;
    assert.match(revision, /\S/);
    const ready = (await (await fetch(`${gw.regate.url}/readyz`)).json()) as { components: { policy: { details: { revision: string } } } };
    assert.equal(ready.components.policy.details.revision, revision);
    const metrics = await (await fetch(`${gw.regate.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`regate_policy_bundle_info\\{revision="${revision}"\\} 1`));
    assert.match(metrics, /regate_policy_decisions_total\{connection="crm",outcome="approval",rule="regate.tools.destructive",enforced="true"\} [1-9]/);
  });
});
