import assert from 'node:assert/strict';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RunningRegate } from '../../../src/http/server.ts';
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import { EVERYTHING, connectClient, startEverything, type EverythingPeer, type McpTestClient, type PeerTransport } from '../../helpers/peers.ts';
import { startTestRegate } from '../../helpers/regate.ts';

/**
 * The official SDK client gets the same answers through regate as it gets from the server
 * directly: regate carries MCP traffic without changing its meaning.
 */
describe('transparent proxy: the SDK client sees the same results through regate as directly', function () {
  this.timeout(60_000);
  const gatewayToken = 'demo-upstream-credential';
  let demo: DemoServer;
  let streamable: EverythingPeer;
  let sse: EverythingPeer;
  let regate: RunningRegate;

  before(async () => {
    [demo, streamable, sse] = await Promise.all([
      startDemoServer({ requiredToken: gatewayToken }),
      startEverything('streamableHttp'),
      startEverything('sse'),
    ]);
    regate = await startTestRegate({
      connections: [
        { name: 'demo', url: demo.url, headers: { Authorization: `Bearer ${gatewayToken}` } },
        { name: 'everything', url: streamable.url },
        { name: 'everything-sse', url: sse.url, transport: 'sse' },
      ],
    });
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([demo?.close(), streamable?.stop(), sse?.stop()]);
  });

  type Client = McpTestClient<never>['client'];
  async function both<T>(
    direct: { url: string; transport: PeerTransport; headers?: Record<string, string> },
    via: string,
    run: (c: Client) => Promise<T>,
  ): Promise<[T, T]> {
    const a = await connectClient(direct.url, direct.transport, { headers: direct.headers ?? {} });
    const b = await connectClient(`${regate.url}${via}`, direct.transport, { headers: { Authorization: 'Bearer agent-token' } });
    try {
      return [await run(a.client), await run(b.client)];
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  const everythingCases: ReadonlyArray<{ transport: PeerTransport; peer: () => EverythingPeer; via: string }> = [
    { transport: 'streamable-http', peer: () => streamable, via: '/mcp/everything' },
    { transport: 'sse', peer: () => sse, via: '/sse/everything-sse' },
  ];
  for (const c of everythingCases) {
    describe(`server-everything over ${c.transport}`, () => {
      it('initialize: same server info and capabilities', async () => {
        const [a, b] = await both({ url: c.peer().url, transport: c.transport }, c.via, async (cl) => ({
          info: cl.getServerVersion(),
          caps: cl.getServerCapabilities(),
        }));
        assert.deepEqual(b, a);
      });
      it('tools/list, tools/call, resources/read and prompts/get: same results', async () => {
        const [a, b] = await both({ url: c.peer().url, transport: c.transport }, c.via, async (cl) => ({
          tools: (await cl.listTools()).tools.map((t) => t.name).sort(),
          echo: await cl.callTool({ name: EVERYTHING.echoTool, arguments: { message: 'héllo through regate' } }),
          resource: await cl.readResource({ uri: EVERYTHING.staticResource }),
          prompt: await cl.getPrompt({ name: EVERYTHING.argsPrompt, arguments: { city: 'Paris' } }),
        }));
        assert.ok(a.tools.length > 5);
        assert.deepEqual(b, a);
      });
      it('a server->client elicitation is answered by the client through regate', async () => {
        const [a, b] = await both({ url: c.peer().url, transport: c.transport }, c.via, async (cl) => {
          // The elicitation tool appears after initialization for clients that declare the capability.
          for (let i = 0; i < 50 && !(await cl.listTools()).tools.some((t) => t.name === EVERYTHING.elicitationTool); i++) {
            await new Promise((r) => setTimeout(r, 50));
          }
          return cl.callTool({ name: EVERYTHING.elicitationTool, arguments: {} }, undefined, { timeout: 10_000 });
        });
        assert.match(JSON.stringify(b), /Ada Lovelace/);
        assert.deepEqual(b, a);
      });
    });
  }

  describe('the demo CRM over streamable-http', () => {
    const direct = () => ({ url: demo.url, transport: 'streamable-http' as const, headers: { Authorization: `Bearer ${gatewayToken}` } });
    it('tools, resources and prompts give the same results', async () => {
      const [a, b] = await both(direct(), '/mcp/demo', async (cl) => ({
        tools: (await cl.listTools()).tools,
        list: await cl.callTool({ name: 'list_customers', arguments: { limit: 3 } }),
        one: await cl.callTool({ name: 'get_customer', arguments: { id: 'cus_001' } }),
        readme: await cl.readResource({ uri: 'demo://readme' }),
      }));
      assert.ok(a.tools.some((t) => t.name === 'delete_customer' && t.annotations?.destructiveHint === true));
      assert.deepEqual(b, a);
    });

    it('DELETE ends the upstream session', async () => {
      const c = await connectClient(`${regate.url}/mcp/demo`, 'streamable-http', { headers: { Authorization: 'Bearer agent-token' } });
      const before = demo.activeSessions();
      await (c.transport as StreamableHTTPClientTransport).terminateSession();
      assert.equal(demo.activeSessions(), before - 1);
      await c.close();
    });
  });
});
