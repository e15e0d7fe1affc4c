import assert from 'node:assert/strict';
import type { CallToolResult, TextResourceContents } from '@modelcontextprotocol/sdk/types.js';
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import { DEMO_SERVER_NAME } from '../../../src/demo/mcp-server.ts';
import { isLuhnValid } from '../../../src/demo/customers.ts';
import { RegateError } from '../../../src/errors.ts';
import { connectSse, connectStreamableHttp, type McpTestClient } from '../../helpers/peers.ts';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const TOKEN = 'demo-upstream-credential-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function postInitialize(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(INITIALIZE),
    signal: AbortSignal.timeout(5000),
  });
}

describe('demo CRM server, with the SDK client connected directly', () => {
  let demo: DemoServer;
  let mcp: McpTestClient<StreamableHTTPClientTransport>;

  beforeEach(async () => {
    demo = await startDemoServer({ requiredToken: TOKEN });
    mcp = await connectStreamableHttp(demo.url, { headers: AUTH });
  });

  afterEach(async () => {
    await mcp.close();
    await demo.close();
  });

  it('initializes a session and names itself', () => {
    assert.equal(mcp.client.getServerVersion()?.name, DEMO_SERVER_NAME);
    const caps = mcp.client.getServerCapabilities();
    assert.ok(caps?.tools && caps.resources && caps.prompts);
    assert.match(mcp.transport.sessionId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('lists the tools with annotations that tell reads, writes and the destructive delete apart', async () => {
    const { tools } = await mcp.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.deepEqual([...byName.keys()].sort(), [
      'delete_customer', 'export_customers_csv', 'get_customer', 'list_customers', 'search_customers', 'update_customer_tier',
    ]);
    for (const read of ['list_customers', 'get_customer', 'search_customers', 'export_customers_csv']) {
      assert.equal(byName.get(read)?.annotations?.readOnlyHint, true, read);
    }
    assert.equal(byName.get('delete_customer')?.annotations?.destructiveHint, true);
    assert.equal(byName.get('delete_customer')?.annotations?.readOnlyHint, false);
    assert.equal(byName.get('update_customer_tier')?.annotations?.idempotentHint, true);
    assert.equal(byName.get('update_customer_tier')?.annotations?.destructiveHint, false);
    for (const tool of tools) assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has an output schema`);
  });

  it('returns a customer as structuredContent and as the same JSON in text content', async () => {
    const result = (await mcp.client.callTool({ name: 'get_customer', arguments: { id: 'cus_001' } })) as CallToolResult;
    const expected = demo.store.get('cus_001');
    assert.deepEqual(result.structuredContent, { customer: expected });
    const text = result.content[0];
    assert.equal(text?.type, 'text');
    assert.deepEqual(JSON.parse(text.type === 'text' ? text.text : ''), result.structuredContent);
    assert.ok(isLuhnValid(expected?.card_number ?? ''));
  });

  it('pages through customers with limit and offset', async () => {
    const first = (await mcp.client.callTool({ name: 'list_customers', arguments: { limit: 20 } })) as CallToolResult;
    const page = first.structuredContent as { customers: Array<{ id: string }>; total: number; next_offset: number | null };
    assert.equal(page.customers.length, 20);
    assert.equal(page.total, 50);
    assert.equal(page.next_offset, 20);
    const last = (await mcp.client.callTool({ name: 'list_customers', arguments: { limit: 20, offset: 40 } })) as CallToolResult;
    const lastPage = last.structuredContent as { customers: Array<{ id: string }>; next_offset: number | null };
    assert.equal(lastPage.customers[0]?.id, 'cus_041');
    assert.equal(lastPage.next_offset, null);
  });

  it('searches customers', async () => {
    const target = demo.store.get('cus_010');
    assert.ok(target);
    const result = (await mcp.client.callTool({ name: 'search_customers', arguments: { query: target.email } })) as CallToolResult;
    assert.deepEqual(result.structuredContent, { customers: [target], total: 1 });
  });

  it('answers an unknown id with a tool error an agent can act on', async () => {
    const result = (await mcp.client.callTool({ name: 'get_customer', arguments: { id: 'cus_999' } })) as CallToolResult;
    assert.equal(result.isError, true);
    const text = result.content[0];
    assert.match(text?.type === 'text' ? text.text : '', /No customer has id "cus_999".*search_customers/);
  });

  it('updates a tier, idempotently', async () => {
    const call = () => mcp.client.callTool({ name: 'update_customer_tier', arguments: { id: 'cus_002', tier: 'platinum' } });
    await call();
    const again = (await call()) as CallToolResult;
    assert.deepEqual(again.structuredContent, { customer: demo.store.get('cus_002'), previous_tier: 'platinum' });
    assert.equal(demo.store.get('cus_002')?.tier, 'platinum');
  });

  it('deletes a customer and returns the deleted record', async () => {
    const before = demo.store.get('cus_003');
    const result = (await mcp.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_003' } })) as CallToolResult;
    assert.deepEqual(result.structuredContent, { customer: before, deleted: true });
    assert.equal(demo.store.get('cus_003'), undefined);
  });

  it('exports customers as CSV text full of PII', async () => {
    const result = (await mcp.client.callTool({ name: 'export_customers_csv', arguments: {} })) as CallToolResult;
    const text = result.content[0];
    const csv = text?.type === 'text' ? text.text : '';
    assert.ok(csv.startsWith('id,name,email,phone,card_number,iban,'));
    assert.equal(csv.trimEnd().split('\r\n').length, 51);
    for (const c of demo.store.all()) assert.ok(csv.includes(c.card_number) && csv.includes(c.iban), c.id);
    assert.deepEqual(result.structuredContent, { format: 'text/csv', rows: 50, csv });
  });

  it('lists the readme and one resource per customer', async () => {
    const { resources } = await mcp.client.listResources();
    const uris = resources.map((r) => r.uri);
    assert.ok(uris.includes('demo://readme'));
    assert.equal(uris.filter((u) => u.startsWith('customers://')).length, 50);
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ['customers://{id}']);
  });

  it('reads a customer resource as JSON', async () => {
    const { contents } = await mcp.client.readResource({ uri: 'customers://cus_004' });
    const content = contents[0] as TextResourceContents;
    assert.equal(content.mimeType, 'application/json');
    assert.deepEqual(JSON.parse(content.text), demo.store.get('cus_004'));
  });

  it('reads the static readme', async () => {
    const { contents } = await mcp.client.readResource({ uri: 'demo://readme' });
    assert.match((contents[0] as TextResourceContents).text, /regate demo CRM/);
  });

  it('answers an unknown customer resource with MCP\'s resource-not-found error', async () => {
    await assert.rejects(mcp.client.readResource({ uri: 'customers://cus_999' }), (err: { code?: number }) => {
      assert.equal(err.code, -32002);
      return true;
    });
  });

  it('gets the summarize_customer prompt with the record embedded', async () => {
    const prompt = await mcp.client.getPrompt({ name: 'summarize_customer', arguments: { id: 'cus_005' } });
    assert.equal(prompt.messages.length, 2);
    const embedded = prompt.messages[1]?.content;
    assert.equal(embedded?.type, 'resource');
    const resource = embedded?.type === 'resource' ? (embedded.resource as TextResourceContents) : undefined;
    assert.equal(resource?.uri, 'customers://cus_005');
    assert.deepEqual(JSON.parse(resource?.text ?? ''), demo.store.get('cus_005'));
  });

  it('completes customer ids for the prompt argument', async () => {
    const result = await mcp.client.complete({ ref: { type: 'ref/prompt', name: 'summarize_customer' }, argument: { name: 'id', value: 'cus_04' } });
    assert.deepEqual(result.completion.values, Array.from({ length: 10 }, (_, i) => `cus_04${i}`));
  });

  it('ends the session on DELETE, after which the session id is unknown (404)', async () => {
    const sessionId = mcp.transport.sessionId as string;
    assert.equal(demo.activeSessions(), 1);
    await mcp.transport.terminateSession();
    assert.equal(demo.activeSessions(), 0);
    const res = await fetch(demo.url, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Mcp-Session-Id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 404);
  });

  it('keeps sessions apart but shares one customer table between them', async () => {
    const other = await connectStreamableHttp(demo.url, { headers: AUTH });
    try {
      assert.notEqual(other.transport.sessionId, mcp.transport.sessionId);
      assert.equal(demo.activeSessions(), 2);
      await other.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_006' } });
      const seen = (await mcp.client.callTool({ name: 'get_customer', arguments: { id: 'cus_006' } })) as CallToolResult;
      assert.equal(seen.isError, true);
    } finally {
      await other.close();
    }
  });
});

describe('demo CRM server credential', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer({ requiredToken: TOKEN });
  });
  after(async () => {
    await demo.close();
  });

  it('answers 401 with a Bearer challenge when there is no Authorization header', async () => {
    const res = await postInitialize(demo.url, {});
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="regate-demo-crm"$/);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
  });

  it('answers 401 invalid_token to an agent\'s own token', async () => {
    const res = await postInitialize(demo.url, { Authorization: 'Bearer agent-entra-token' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('answers 401 on the legacy SSE endpoints too', async () => {
    const stream = await fetch(demo.sseUrl, { headers: { Accept: 'text/event-stream' }, signal: AbortSignal.timeout(5000) });
    assert.equal(stream.status, 401);
    const post = await fetch(demo.sseUrl.replace('/sse', '/message?sessionId=x'), { method: 'POST', signal: AbortSignal.timeout(5000) });
    assert.equal(post.status, 401);
  });

  it('makes the SDK client fail to connect without the credential', async () => {
    await assert.rejects(connectStreamableHttp(demo.url), (err: { code?: number }) => {
      assert.equal(err.code, 401);
      return true;
    });
  });

  it('accepts the credential it was started with', async () => {
    const res = await postInitialize(demo.url, AUTH);
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('mcp-session-id'));
    await res.body?.cancel();
  });

  it('refuses to start without a credential', async () => {
    await assert.rejects(startDemoServer({ requiredToken: '' }), (err: unknown) => {
      assert.ok(err instanceof RegateError);
      assert.equal(err.code, 'REGATE_ERR_CONFIG_INVALID');
      return true;
    });
  });
});

describe('demo CRM server Streamable HTTP session, by hand', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer({ requiredToken: TOKEN });
  });
  after(async () => {
    await demo.close();
  });

  it('opens a GET event stream for a session and ends the session on DELETE', async () => {
    const init = await postInitialize(demo.url, AUTH);
    const sessionId = init.headers.get('mcp-session-id') as string;
    await init.body?.cancel();
    const session = { ...AUTH, 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': '2025-06-18' };

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5000);
    try {
      const stream = await fetch(demo.url, { headers: { ...session, Accept: 'text/event-stream' }, signal: abort.signal });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get('content-type'), 'text/event-stream');
      assert.equal(stream.headers.get('mcp-session-id'), sessionId);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }

    const del = await fetch(demo.url, { method: 'DELETE', headers: session, signal: AbortSignal.timeout(5000) });
    assert.equal(del.status, 200);
    const after = await fetch(demo.url, { headers: { ...session, Accept: 'text/event-stream' }, signal: AbortSignal.timeout(5000) });
    assert.equal(after.status, 404);
  });

  it('answers a GET without a session id with 400', async () => {
    const res = await fetch(demo.url, { headers: { ...AUTH, Accept: 'text/event-stream' }, signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 400);
  });

  it('does not keep a session for a first request that is not initialize', async () => {
    const res = await fetch(demo.url, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 400);
    assert.equal(demo.activeSessions(), 0);
  });
});

describe('demo CRM server over legacy HTTP+SSE', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer({ requiredToken: TOKEN });
  });
  after(async () => {
    await demo.close();
  });

  it('serves the same tools and data to an SSE client', async () => {
    const sse = await connectSse(demo.sseUrl, { headers: AUTH });
    try {
      const { tools } = await sse.client.listTools();
      assert.equal(tools.length, 6);
      const result = (await sse.client.callTool({ name: 'get_customer', arguments: { id: 'cus_007' } })) as CallToolResult;
      assert.deepEqual(result.structuredContent, { customer: demo.store.get('cus_007') });
      assert.equal(demo.activeSessions(), 1);
    } finally {
      await sse.close();
    }
  });

  it('closes promptly while clients still hold open streams', async () => {
    const busy = await startDemoServer({ requiredToken: TOKEN });
    const sse = await connectSse(busy.sseUrl, { headers: AUTH });
    const http = await connectStreamableHttp(busy.url, { headers: AUTH });
    assert.equal(busy.activeSessions(), 2);
    await busy.close();
    assert.equal(busy.activeSessions(), 0);
    await Promise.allSettled([sse.close(), http.close()]);
  });

  it('answers 404 to a message for an unknown SSE session', async () => {
    const res = await fetch(demo.sseUrl.replace('/sse', '/message?sessionId=nope'), {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 404);
  });
});
