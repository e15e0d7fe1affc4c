import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, createMcpHandler, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import * as z from 'zod';
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import { api, approveFirstPending, sharedKeyFile, startApprovalGateway, waitForPending, type ApprovalGateway } from '../../helpers/approvals.ts';
import { connectV2, type ElicitAnswer, type ElicitParams } from '../../helpers/v2-peers.ts';

/**
 * The v2 SDK client is asked for its justification in both eras. On 2026-07-28 regate answers the
 * held call's first leg `input_required` with its one-field form; the client's handler answers
 * and the client retries with `inputResponses["regate/justification"]`, which regate takes out
 * before the approved call goes upstream. On the 2025 era (the v2 client falling back against a
 * session server) the form goes out as `elicitation/create` on the held call's stream.
 */
describe('the v2 client is asked why, in both eras', function () {
  this.timeout(60_000);
  const upstreamToken = 'crm-gateway-credential';
  let modern: { url: string; bodies: unknown[]; close(): Promise<void> };
  let demo: DemoServer;
  // One gateway per upstream: the policy describes the connection `crm` (the demo CRM's tools).
  let gw: ApprovalGateway;
  let gw2025: ApprovalGateway;
  const approvals = { timeout_seconds: 30, recheck_seconds: 0.5, justification_seconds: 5 };

  before(async () => {
    modern = await startDeletingServer();
    demo = await startDemoServer({ requiredToken: upstreamToken });
    gw = await startApprovalGateway({ connections: [{ name: 'crm', url: modern.url }], approvals }, await sharedKeyFile());
    gw2025 = await startApprovalGateway({ connections: [{ name: 'crm', url: demo.url, headers: { Authorization: `Bearer ${upstreamToken}` } }], approvals }, await sharedKeyFile());
  });
  after(async () => {
    await gw?.stop();
    await gw2025?.stop();
    await modern?.close();
    await demo?.close();
  });

  async function agent(on: ApprovalGateway, elicit: (p: ElicitParams) => ElicitAnswer) {
    return connectV2(`${on.url}/mcp/crm`, { headers: { Authorization: `Bearer ${await on.token('agent-v2', ['mcp-readers'])}` }, elicit });
  }

  it('2026-07-28: input_required with the form, the answer shown to the approver, and never forwarded', async () => {
    const c = await agent(gw, () => ({ action: 'accept', content: { justification: 'duplicate record, merged into cus_9' } }));
    try {
      assert.equal(c.era(), '2026');
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_8' } });
      const pending = await approveFirstPending(gw);
      assert.equal(pending.justification, 'duplicate record, merged into cus_9');
      const result = (await call) as { content: Array<{ text: string }> };
      assert.equal(result.content[0]!.text, 'deleted cus_8');
      assert.equal(c.elicitations.length, 1);
      assert.match(String(c.elicitations[0]!.message), /Why do you need this call\?/);
      const calls = modern.bodies.filter((b) => (b as { method?: string }).method === 'tools/call');
      assert.equal(calls.length, 1, 'the upstream saw the approved call once');
      assert.ok(!JSON.stringify(calls).includes('regate/justification'), JSON.stringify(calls));
    } finally {
      await c.close();
    }
  });

  it('2026-07-28: a declined form is recorded as "none given" and the call still waits for approval', async () => {
    const c = await agent(gw, () => ({ action: 'decline' }));
    try {
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_10' } });
      assert.equal((await approveFirstPending(gw)).justification, 'none given');
      assert.equal(((await call) as { content: Array<{ text: string }> }).content[0]!.text, 'deleted cus_10');
    } finally {
      await c.close();
    }
  });

  it('2026-07-28: the approved call\'s own round trip with the upstream rides on the approval once', async () => {
    const c = await agent(gw, (p) => (JSON.stringify(p).includes('justification') ? { action: 'accept', content: { justification: 'contract renewal' } } : { action: 'accept', content: { confirm: true } }));
    try {
      const before = modern.bodies.length;
      const call = c.client.callTool({ name: 'update_customer_tier', arguments: { id: 'cus_11', tier: 'gold' } });
      assert.equal((await approveFirstPending(gw)).justification, 'contract renewal');
      // One approval: were the retry asked again, the call would wait for a second one and time out.
      assert.equal(((await call) as { content: Array<{ text: string }> }).content[0]!.text, 'cus_11 is now gold');
      assert.deepEqual(c.elicitations.map((e) => /justification/.test(JSON.stringify(e)) ? 'regate' : 'upstream'), ['regate', 'upstream']);
      const calls = modern.bodies.slice(before).filter((b) => (b as { method?: string }).method === 'tools/call') as Array<{ params: Record<string, unknown> }>;
      assert.equal(calls.length, 2, 'the approved call, then its continuation');
      assert.equal(calls[1]!.params.requestState, 'tier:cus_11:gold');
    } finally {
      await c.close();
    }
  });

  it('2026-07-28: a continuation replayed after it was used is asked for approval again, and not forwarded when denied', async () => {
    const token = await gw.token('agent-v2', ['mcp-readers']);
    const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } }, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } };
    const before = modern.bodies.length;
    const forged = fetch(`${gw.url}/mcp/crm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'update_customer_tier' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'update_customer_tier', arguments: { id: 'cus_11', tier: 'gold' }, requestState: 'tier:cus_11:gold', inputResponses: { confirm: { action: 'accept', content: { confirm: true } } }, _meta: envelope } }),
    });
    const approver = await gw.token('boss', ['mcp-approvers'], 'Boss');
    const [pending] = await waitForPending(gw.url, approver);
    assert.equal(pending!.justification, 'none given', 'a continuation is not asked why');
    assert.equal((await api(gw.url, approver, `/approvals/${String(pending!.id)}/deny`, { comment: 'no replay' })).status, 200);
    const text = await (await forged).text();
    assert.match(text, /denied/);
    assert.equal(modern.bodies.length, before, 'nothing reached the upstream');
  });

  it('2025 (the v2 client against a session server): elicitation/create on the held call\'s stream', async () => {
    const c = await agent(gw2025, () => ({ action: 'accept', content: { justification: 'GDPR erasure request' } }));
    try {
      assert.equal(c.era(), '2025');
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_003' } });
      assert.equal((await approveFirstPending(gw2025)).justification, 'GDPR erasure request');
      const result = (await call) as { isError?: boolean; structuredContent?: { deleted?: boolean } };
      assert.equal(result.structuredContent?.deleted, true, JSON.stringify(result));
    } finally {
      await c.close();
    }
  });
});

/** A v2 server (2026-07-28 only) with a `delete_customer` tool, keeping every body it receives. */
async function startDeletingServer(): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const build = () => {
    const server = new McpServer({ name: 'deleting', version: '1.0.0' });
    server.registerTool('delete_customer', { description: 'Deletes a customer', inputSchema: z.object({ id: z.string() }) }, async ({ id }) => ({
      content: [{ type: 'text', text: `deleted ${id}` }],
    }));
    // Asks its own question (a round trip of the upstream's) before it runs.
    server.registerTool('update_customer_tier', { description: 'Changes a tier', inputSchema: z.object({ id: z.string(), tier: z.string() }) }, async ({ id, tier }, ctx) => {
      const a = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (a.kind === 'elicit') return { content: [{ type: 'text', text: a.action === 'accept' && a.content?.confirm === true ? `${id} is now ${tier}` : `${id} unchanged` }] };
      return inputRequired({ inputRequests: { confirm: inputRequired.elicit({ message: `Really move ${id} to ${tier}?`, requestedSchema: z.object({ confirm: z.boolean() }) }) }, requestState: `tier:${id}:${tier}` });
    });
    return server;
  };
  const handler = createMcpHandler(build, { legacy: 'reject' });
  const node = toNodeHandler(handler);
  const bodies: unknown[] = [];
  const http: Server = createServer(async (req, res) => {
    if (req.method !== 'POST') return node(req, res);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    bodies.push(body);
    return node(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    bodies,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
