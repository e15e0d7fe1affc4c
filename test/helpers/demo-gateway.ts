/**
 * The whole gateway in front of the demo CRM with the committed default policy (connection
 * `crm`), as an agent meets it, plus the headers a Streamable HTTP client sends by hand.
 */
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startDemoServer, type DemoServer } from '../../src/demo/demo-server.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from './gateway.ts';
import { connectClient, type McpTestClient } from './peers.ts';

export const PROTOCOL = '2025-06-18';

export interface DemoGateway {
  readonly demo: DemoServer;
  readonly gw: TestGateway;
  /** `{regate}/mcp/crm` */
  readonly url: string;
  /** An SDK client connected as `sub` with `groups` (dev token). */
  connect(sub: string, groups: string[]): Promise<McpTestClient<StreamableHTTPClientTransport>>;
  stop(): Promise<void>;
}

/** `extra`: more of the configuration (e.g. `audit`), beside the demo connection and the committed bundle. */
export async function startDemoGateway(extra: Omit<Partial<ConfigInput>, 'connections' | 'policy'> = {}): Promise<DemoGateway> {
  const upstreamToken = 'crm-gateway-credential';
  const demo = await startDemoServer({ requiredToken: upstreamToken });
  const gw = await startTestGateway({
    ...extra,
    connections: [{ name: 'crm', url: demo.url, headers: { Authorization: `Bearer ${upstreamToken}` } }],
    policy: { bundle: { path: COMMITTED_BUNDLE } },
  });
  const url = `${gw.regate.url}/mcp/crm`;
  return {
    demo,
    gw,
    url,
    connect: async (sub, groups) =>
      (await connectClient(url, 'streamable-http', { headers: { Authorization: `Bearer ${await gw.token(sub, groups)}` } })) as McpTestClient<StreamableHTTPClientTransport>,
    stop: async () => {
      await gw.stop();
      await demo.close();
    },
  };
}

/** What a Streamable HTTP client sends with every request, in `session` when given. */
export function mcpHeaders(token: string, session?: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': PROTOCOL,
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    ...(session !== undefined ? { 'mcp-session-id': session } : {}),
  };
}
