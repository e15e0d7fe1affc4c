/**
 * Real MCP peers of the v2 SDK line (`@modelcontextprotocol/server|client|node` 2.4, protocol
 * revision 2026-07-28 with the 2025 era as fallback), for era tests.
 *
 * The server is one `McpServer` definition served by `createMcpHandler` on two paths of one
 * loopback HTTP server:
 * - `/mcp` serves both eras: 2026-07-28 requests on the modern path, 2025 traffic (initialize and
 *   everything without a `_meta` envelope) on the SDK's stateless legacy fallback (no
 *   `Mcp-Session-Id`; GET/DELETE answer 405). A v1 client talks 2025 to it; a v2 client with
 *   `versionNegotiation: { mode: 'auto' }` probes `server/discover` and talks 2026-07-28.
 * - `/mcp-modern` is a strict modern-only endpoint (`legacy: 'reject'`): a 2025 `initialize` is
 *   answered HTTP 400 with -32022 UnsupportedProtocolVersion naming `["2026-07-28"]`.
 *
 * What the server offers (names in V2, mirroring server-everything's EVERYTHING where it can):
 * - `echo` {message} -> text "Echo: <message>" (same text as server-everything's echo).
 * - `regional-echo` {region (x-mcp-header "Region"), message} -> "Echo from <region>: <message>":
 *   on 2026-07-28 the client must send `Mcp-Param-Region` (Base64-sentinel encoded when not plain
 *   ASCII), and the server refuses a missing or disagreeing one with 400 / -32020.
 * - `confirm-action` {action}: asks for a form elicitation `{confirm: boolean}` by answering
 *   `input_required` (inputRequests key "confirm", requestState "confirm-action:<action>");
 *   an accepted retry returns "Confirmed: <action>", a declined or cancelled one "Not confirmed:
 *   <action>". On the 2025 era the SDK's legacy shim turns the same return value into a real
 *   `elicitation/create` server->client request on the call's SSE stream.
 * - Resource `test://v2/static/readme.md` (static text) and prompt `args-prompt` {city}.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, createMcpHandler, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import * as z from 'zod';
import { TEST_CLIENT_CAPABILITIES } from './peers.ts';

/** Names on the v2 test server (see the file comment). */
export const V2 = {
  echoTool: 'echo',
  headerTool: 'regional-echo',
  headerParam: 'Region',
  elicitationTool: 'confirm-action',
  staticResource: 'test://v2/static/readme.md',
  argsPrompt: 'args-prompt',
  serverName: 'regate-v2-test-server',
} as const;

export const V2_RESOURCE_TEXT = '# regate v2 test server\n\nA static document, identical on every read.\n';

/** The one server definition both endpoints and both eras serve. */
export function buildV2Server(): McpServer {
  const server = new McpServer({ name: V2.serverName, version: '1.0.0' });
  server.registerTool(V2.echoTool, { description: 'Echoes back the input', inputSchema: z.object({ message: z.string() }) }, async ({ message }) => ({
    content: [{ type: 'text', text: `Echo: ${message}` }],
  }));
  server.registerTool(
    V2.headerTool,
    {
      description: 'Echoes back the input; the region is mirrored into the Mcp-Param-Region header',
      inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': V2.headerParam }), message: z.string() }),
    },
    async ({ region, message }) => ({ content: [{ type: 'text', text: `Echo from ${region}: ${message}` }] }),
  );
  server.registerTool(
    V2.elicitationTool,
    { description: 'Asks the user to confirm an action (elicitation through input_required)', inputSchema: z.object({ action: z.string() }) },
    async ({ action }, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (answer.kind === 'elicit') {
        const confirmed = answer.action === 'accept' && answer.content?.confirm === true;
        return { content: [{ type: 'text', text: `${confirmed ? 'Confirmed' : 'Not confirmed'}: ${action}` }] };
      }
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({ message: `Confirm ${action}?`, requestedSchema: z.object({ confirm: z.boolean() }) }),
        },
        requestState: `confirm-action:${action}`,
      });
    },
  );
  server.registerResource('readme', V2.staticResource, { mimeType: 'text/markdown' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/markdown', text: V2_RESOURCE_TEXT }],
  }));
  server.registerPrompt(V2.argsPrompt, { description: 'A prompt with arguments', argsSchema: z.object({ city: z.string() }) }, ({ city }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `What is the weather in ${city}?` } }],
  }));
  return server;
}

/** The fetch-shaped handlers of both endpoints (usable in-process, without a port). */
export function v2Handlers(): { dual: ReturnType<typeof createMcpHandler>; modern: ReturnType<typeof createMcpHandler> } {
  return {
    dual: createMcpHandler(() => buildV2Server()),
    modern: createMcpHandler(() => buildV2Server(), { legacy: 'reject' }),
  };
}

export interface V2ServerPeer {
  /** `http://127.0.0.1:<port>/mcp`: both eras. */
  readonly url: string;
  /** `http://127.0.0.1:<port>/mcp-modern`: 2026-07-28 only. */
  readonly modernUrl: string;
  readonly port: number;
  /** With `record: true`: every POST the server received (headers and parsed body), in order. */
  readonly received: ReceivedRequest[];
  stop(): Promise<void>;
}

/** One POST as the v2 server received it. */
export interface ReceivedRequest {
  readonly path: string;
  /** Lowercase names, as Node gives them. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** Starts the v2 test server on a free loopback port (in this process); `record` keeps what it received. */
export async function startV2Server(options: { readonly record?: boolean } = {}): Promise<V2ServerPeer> {
  const handlers = v2Handlers();
  const dual = toNodeHandler(handlers.dual);
  const modern = toNodeHandler(handlers.modern);
  const received: ReceivedRequest[] = [];
  const serve = async (req: IncomingMessage, res: ServerResponse, path: string, handler: typeof dual) => {
    if (!options.record || req.method !== 'POST') return handler(req, res);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    received.push({ path, headers: { ...req.headers }, body });
    return handler(req, res, body);
  };
  const http: HttpServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/mcp') void serve(req, res, path, dual);
    else if (path === '/mcp-modern') void serve(req, res, path, modern);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    modernUrl: `http://127.0.0.1:${port}/mcp-modern`,
    port,
    received,
    async stop() {
      await Promise.all([handlers.dual.close(), handlers.modern.close()]);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// v2 client

export type ElicitParams = { message?: string; requestedSchema?: unknown; [k: string]: unknown };
export type ElicitAnswer = { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };

export interface V2ConnectOptions {
  /** Sent on every HTTP request (e.g. the agent's Authorization). */
  readonly headers?: Record<string, string>;
  /** Answers elicitations (2025 server->client requests and 2026 input_required entries alike). */
  readonly elicit?: (params: ElicitParams) => ElicitAnswer | Promise<ElicitAnswer>;
  readonly name?: string;
  readonly timeoutMs?: number;
  /** The fetch the transport uses (in-process capture, see captureV2Traffic); global fetch by default. */
  readonly fetch?: typeof fetch;
}

export interface V2TestClient {
  readonly client: ClientV2;
  readonly transport: TransportV2;
  /** Every elicitation the client answered, in order. */
  readonly elicitations: ElicitParams[];
  /** '2026' when the client negotiated 2026-07-28 (server/discover), '2025' after an initialize fallback. */
  era(): '2025' | '2026';
  close(): Promise<void>;
}

/** What the default elicitation handler answers: confirms (fills V2's `confirm`). */
export const DEFAULT_V2_ELICIT_ANSWER: ElicitAnswer = { action: 'accept', content: { confirm: true } };

/** Connects a v2 SDK Client with `versionNegotiation: { mode: 'auto' }` (probe, then fall back). */
export async function connectV2(url: string | URL, options: V2ConnectOptions = {}): Promise<V2TestClient> {
  const client = new ClientV2(
    { name: options.name ?? 'regate-v2-test-client', version: '1.0.0' },
    { capabilities: TEST_CLIENT_CAPABILITIES, versionNegotiation: { mode: 'auto' } },
  );
  const elicitations: ElicitParams[] = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    const params = request.params as ElicitParams;
    elicitations.push(params);
    return (options.elicit ? await options.elicit(params) : DEFAULT_V2_ELICIT_ANSWER) as never;
  });
  const transport = new TransportV2(new URL(url), {
    requestInit: { headers: { ...options.headers } },
    ...(options.fetch !== undefined && { fetch: options.fetch }),
  });
  await client.connect(transport, { timeout: options.timeoutMs ?? 10_000 });
  return {
    client,
    transport,
    elicitations,
    era: () => (client.getProtocolEra() === 'modern' ? '2026' : '2025'),
    close: () => client.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Capturing real SDK traffic in process (for unit tests built from SDK-produced messages)

/** One HTTP exchange between the v2 client and the v2 handler, as the wire saw it. */
export interface CapturedExchange {
  readonly httpMethod: string;
  /** Request headers, lowercase names (as Node's IncomingHttpHeaders). */
  readonly headers: Record<string, string>;
  /** The parsed JSON request body (undefined for GET/DELETE). */
  readonly body: unknown;
  readonly status: number;
  /** The response body text (a JSON body, or the SSE stream's text). */
  readonly response: string;
}

/**
 * Runs `steps` with a v2 client (auto negotiation) wired straight to the v2 server's fetch
 * handler (dual or modern-only), no port involved, and returns what went over the wire.
 */
export async function captureV2Traffic(
  endpoint: 'dual' | 'modern',
  steps: (c: V2TestClient) => Promise<void>,
  options: Omit<V2ConnectOptions, 'fetch'> = {},
): Promise<CapturedExchange[]> {
  const handlers = v2Handlers();
  const handler = handlers[endpoint];
  const log: CapturedExchange[] = [];
  const inProcess = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = request.method === 'POST' ? await request.clone().text() : '';
    const response = await handler.fetch(request);
    const responseText = await response.clone().text();
    log.push({
      httpMethod: request.method,
      headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
      body: text ? JSON.parse(text) : undefined,
      status: response.status,
      response: responseText,
    });
    return response;
  }) as typeof fetch;
  const c = await connectV2('http://127.0.0.1/mcp', { ...options, fetch: inProcess });
  try {
    await steps(c);
  } finally {
    await c.close();
    await Promise.all([handlers.dual.close(), handlers.modern.close()]);
  }
  return log;
}

/**
 * A typical 2026-07-28 session captured in process: discover, tools/list, echo, the x-mcp-header
 * tool (ASCII and non-ASCII region), the input_required elicitation tool (two rounds),
 * resources/read and prompts/get, all as the real v2 client sent them and the real v2 server
 * answered.
 */
export function captureTypicalV2Session(endpoint: 'dual' | 'modern' = 'dual'): Promise<CapturedExchange[]> {
  return captureV2Traffic(endpoint, async ({ client }) => {
    await client.listTools();
    await client.callTool({ name: V2.echoTool, arguments: { message: 'hello' } });
    await client.callTool({ name: V2.headerTool, arguments: { region: 'eu-west-1', message: 'm' } });
    await client.callTool({ name: V2.headerTool, arguments: { region: 'zürich', message: 'm' } });
    await client.callTool({ name: V2.elicitationTool, arguments: { action: 'deploy' } });
    await client.readResource({ uri: V2.staticResource });
    await client.getPrompt({ name: V2.argsPrompt, arguments: { city: 'Paris' } });
  });
}

/** The captured exchanges whose request is `method` (and matches `where`), in order. */
export function exchangesFor(log: readonly CapturedExchange[], method: string, where: (params: Record<string, unknown>) => boolean = () => true): CapturedExchange[] {
  return log.filter((e) => {
    const body = e.body as { method?: string; params?: Record<string, unknown> } | undefined;
    return body?.method === method && where(body.params ?? {});
  });
}

/** The JSON-RPC result of a captured JSON (not SSE) response. */
export function resultOf(e: CapturedExchange): Record<string, unknown> {
  return (JSON.parse(e.response) as { result: Record<string, unknown> }).result;
}
