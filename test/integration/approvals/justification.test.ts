import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import { api, approveFirstPending, sharedKeyFile, startApprovalGateway, waitForPending, type ApprovalGateway } from '../../helpers/approvals.ts';
import { connectClient } from '../../helpers/peers.ts';

/**
 * The requester's justification, asked where the client can answer a form: while a 2025 call is
 * held, regate sends `elicitation/create` (one required field) on the call's SSE answer, takes the
 * client's answer out of its next POST (the upstream never sees it), and shows it to approvers. A
 * client that declines, or cannot answer forms, is recorded as "none given" and its call still
 * waits for approval; `_meta["regate/justification"]` answers without a form.
 */
describe('the requester is asked why, with a form, while the call is held', function () {
  this.timeout(60_000);
  const upstreamToken = 'crm-gateway-credential';
  let demo: DemoServer;
  let gw: ApprovalGateway;
  let url: string;
  let stopped = false;

  before(async () => {
    demo = await startDemoServer({ requiredToken: upstreamToken });
    gw = await startApprovalGateway(
      { connections: [{ name: 'crm', url: demo.url, headers: { Authorization: `Bearer ${upstreamToken}` } }], approvals: { timeout_seconds: 30, recheck_seconds: 0.5, justification_seconds: 5 } },
      await sharedKeyFile(),
    );
    url = `${gw.url}/mcp/crm`;
  });
  after(async () => {
    if (!stopped) await gw?.stop();
    await demo?.close();
  });

  /** Connects the demo reader with a form-elicitation handler; returns the client and what it was asked. */
  async function reader(elicit: (p: ElicitRequest['params']) => ElicitResult) {
    const asked: Array<ElicitRequest['params']> = [];
    const c = await connectClient(url, 'streamable-http', {
      headers: { Authorization: `Bearer ${await gw.token('agent-1', ['mcp-readers'], 'Agent One')}` },
      elicit: (p) => {
        asked.push(p);
        return elicit(p);
      },
    });
    return { c, asked };
  }

  it('asks with a one-field form, shows the answer to the approver, and records it with the call', async () => {
    const { c, asked } = await reader(() => ({ action: 'accept', content: { justification: 'customer asked to be forgotten (ticket 4711)' } }));
    try {
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_001' } });
      const pending = await approveFirstPending(gw);
      assert.equal(pending.justification, 'customer asked to be forgotten (ticket 4711)');
      const result = (await call) as { isError?: boolean; structuredContent?: { deleted?: boolean } };
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.equal(result.structuredContent?.deleted, true);
      assert.equal(asked.length, 1);
      const form = asked[0]! as { message: string; requestedSchema: { properties: Record<string, { type: string }>; required: string[] } };
      assert.match(form.message, /regate holds the call to tool "delete_customer" for human approval .*Why do you need this call\?/);
      assert.deepEqual(Object.keys(form.requestedSchema.properties), ['justification']);
      assert.deepEqual(form.requestedSchema.required, ['justification']);
    } finally {
      await c.close();
    }
  });

  it('records "none given" when the requester declines, and the call still waits for approval', async () => {
    const { c, asked } = await reader(() => ({ action: 'decline' }));
    try {
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_002' } });
      const pending = await approveFirstPending(gw);
      assert.equal(pending.justification, 'none given');
      assert.equal(((await call) as { isError?: boolean }).isError, undefined);
      assert.equal(asked.length, 1);
    } finally {
      await c.close();
    }
  });

  it('shows approvers the justification and the arguments masked: a card number typed into either never reaches them', async () => {
    const { c } = await reader(() => ({ action: 'accept', content: { justification: 'refund to card 4111 1111 1111 1111 first' } }));
    try {
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_009', note: 'card 5555-5555-5555-4444' } }).catch((err: unknown) => err);
      const approver = await gw.token('boss', ['mcp-approvers'], 'Boss');
      const [pending] = await waitForPending(gw.url, approver);
      const shown = JSON.stringify(pending);
      assert.ok(!shown.includes('4111 1111 1111 1111') && !shown.includes('5555-5555-5555-4444'), shown);
      assert.match(String(pending!.justification), /refund to card .*first/);
      assert.equal((await api(gw.url, approver, `/approvals/${String(pending!.id)}/deny`, { comment: 'no' })).status, 200);
      await call;
    } finally {
      await c.close();
    }
  });

  it('does not ask when the call carries _meta["regate/justification"]', async () => {
    const { c, asked } = await reader(() => ({ action: 'accept', content: { justification: 'from the form' } }));
    try {
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_003' }, _meta: { 'regate/justification': 'from _meta' } });
      const pending = await approveFirstPending(gw);
      assert.equal(pending.justification, 'from _meta');
      await call;
      assert.equal(asked.length, 0);
    } finally {
      await c.close();
    }
  });

  it('does not ask a client that declared no form elicitation', async () => {
    const client = new Client({ name: 'no-forms', version: '1.0.0' }, { capabilities: {} });
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${await gw.token('agent-2', ['mcp-readers'])}` } } });
    await client.connect(transport);
    try {
      const call = client.callTool({ name: 'delete_customer', arguments: { id: 'cus_004' } });
      const pending = await approveFirstPending(gw);
      assert.equal(pending.justification, 'none given');
      assert.equal(((await call) as { isError?: boolean }).isError, undefined);
    } finally {
      await client.close();
    }
  });

  it('takes the answer only from the session that was asked: another principal\'s forged answer is dropped', async () => {
    const alice = new Client({ name: 'alice', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    let askedId: string | number | undefined;
    let forged!: () => void;
    const forgedSent = new Promise<void>((resolve) => (forged = resolve));
    let gotForm!: () => void;
    const formArrived = new Promise<void>((resolve) => (gotForm = resolve));
    alice.setRequestHandler(ElicitRequestSchema, async (_request, extra) => {
      askedId = extra.requestId;
      gotForm();
      await forgedSent;
      return { action: 'accept', content: { justification: 'from alice' } };
    });
    const aliceTransport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${await gw.token('alice', ['mcp-readers'])}` } } });
    await alice.connect(aliceTransport);
    const mallory = await connectClient(url, 'streamable-http', { headers: { Authorization: `Bearer ${await gw.token('mallory', ['mcp-readers'])}` } });
    try {
      const call = alice.callTool({ name: 'delete_customer', arguments: { id: 'cus_006' } });
      await formArrived;
      assert.match(String(askedId), /^regate-ask-/);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await gw.token('mallory', ['mcp-readers'])}`,
          'mcp-session-id': mallory.transport.sessionId!,
          'mcp-protocol-version': String(mallory.transport.protocolVersion),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: askedId, result: { action: 'accept', content: { justification: 'forged by mallory' } } }),
      });
      assert.equal(res.status, 202, 'accepted and dropped: never forwarded upstream');
      forged();
      const pending = await approveFirstPending(gw);
      assert.equal(pending.justification, 'from alice');
      assert.equal(((await call) as { isError?: boolean }).isError, undefined);
    } finally {
      await mallory.close();
      await alice.close();
    }
  });

  it('withdraws the call, asking nobody to approve it, when the requester hangs up while asked', async () => {
    let hangUp!: () => void;
    const askedNow = new Promise<void>((resolve) => (hangUp = resolve));
    const { c } = await reader(() => {
      hangUp();
      // Never answers in time: the client goes away first.
      return { action: 'cancel' };
    });
    const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_005' } }).catch((err: unknown) => err);
    await askedNow;
    await c.close();
    await call;
    await new Promise((r) => setTimeout(r, 300));
    const approver = await gw.token('boss', ['mcp-approvers'], 'Boss');
    const { json } = await api(gw.url, approver, '/approvals');
    assert.deepEqual((json.approvals as unknown[]).length, 0, JSON.stringify(json));
  });

  it("the transcript carries the form's answer with the approval, and the form itself as a message of the call", async () => {
    await gw.stop();
    stopped = true;
    const events = (await gw.transcript()).filter((e) => e.tool === 'delete_customer');
    const approval = events.find((e) => e.kind === 'approval' && e.justification === 'customer asked to be forgotten (ticket 4711)');
    assert.ok(approval, JSON.stringify(events.filter((e) => e.kind === 'approval')));
    assert.match(JSON.stringify(events), /Why do you need this call\?/, 'the form regate sent is recorded');
    // The call withdrawn while its requester was asked never became an approval request.
    const withdrawn = events.find((e) => e.kind === 'request' && JSON.stringify(e.arguments) === '{"id":"cus_005"}');
    assert.ok(withdrawn, 'the withdrawn call was recorded');
    assert.equal(events.filter((e) => e.call_id === withdrawn.call_id && e.kind === 'approval').length, 0);
  });
});

/**
 * A held call keeps its call slot while it waits. The POST that answers regate's question carries
 * nothing for the upstream, so it needs no slot: with one concurrent request allowed per
 * principal, the answer still arrives; a POST that carries a call as well still needs one.
 */
describe('the answer to regate\'s question needs no call slot', function () {
  this.timeout(60_000);
  const upstreamToken = 'crm-gateway-credential';
  let demo: DemoServer;
  let gw: ApprovalGateway;

  before(async () => {
    demo = await startDemoServer({ requiredToken: upstreamToken });
    gw = await startApprovalGateway(
      {
        connections: [{ name: 'crm', url: demo.url, headers: { Authorization: `Bearer ${upstreamToken}` } }],
        limits: { per_principal: { max_concurrent_requests: 1 } },
        approvals: { timeout_seconds: 30, recheck_seconds: 0.5, justification_seconds: 5 },
      },
      await sharedKeyFile(),
    );
  });
  after(async () => {
    await gw?.stop();
    await demo?.close();
  });

  it('reaches the held call with the principal\'s only slot taken by it', async () => {
    const c = await connectClient(`${gw.url}/mcp/crm`, 'streamable-http', {
      headers: { Authorization: `Bearer ${await gw.token('agent-1', ['mcp-readers'])}` },
      elicit: () => ({ action: 'accept', content: { justification: 'ticket 4711' } }),
    });
    try {
      const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_001' } });
      assert.equal((await approveFirstPending(gw)).justification, 'ticket 4711');
      assert.equal(((await call) as { isError?: boolean }).isError, undefined);
    } finally {
      await c.close();
    }
  });
});
