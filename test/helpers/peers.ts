/**
 * Real MCP peers for integration tests: `@modelcontextprotocol/server-everything` as a child
 * process (Streamable HTTP or legacy SSE), and the official SDK Client connected to any URL.
 *
 * What server-everything (2026.8.31) offers for the proxy's end-to-end tests:
 * - Endpoints: streamableHttp mode serves POST|GET|DELETE `/mcp` (stateful, `Mcp-Session-Id`,
 *   resumable with `Last-Event-ID` through an in-memory event store); sse mode serves `GET /sse`
 *   (first event `endpoint` with data `/message?sessionId=<id>`) and `POST /message?sessionId=`.
 *   The port comes from the PORT env var (default 3001); it binds every interface. In sse mode a
 *   POST /message for an unknown session is never answered (the request hangs), so a proxy test
 *   for that case needs its own timeout.
 * - Long-running tool with progress: `trigger-long-running-operation` {duration: seconds (default
 *   10, fractions allowed), steps (default 5)}. Sleeps duration/steps per step and, when the call
 *   carries `_meta.progressToken` (the SDK adds one when `onprogress` is passed to callTool), sends
 *   `notifications/progress` {progress: i, total: steps} after each step, on the call's own SSE
 *   stream. Example: `client.callTool({ name, arguments: { duration: 2, steps: 4 } }, undefined,
 *   { onprogress, timeout: 10_000 })` -> progress at ~0.5 s, 1 s, 1.5 s, 2 s, then the result.
 *   Beware: the SDK client (1.32) runs notification handlers a microtask later but response
 *   handlers at once, so when the last progress and the result arrive in one chunk the last
 *   progress is dropped ("unknown token"). Seen in sse mode even without a proxy. Assert on the
 *   first progress notifications (and their arrival before the result), never on the last one.
 * - Elicitation: `trigger-elicitation-request` {} sends `elicitation/create` (form mode; required
 *   field `name`) and returns text echoing the answer ("User provided the requested information!",
 *   "- Name: ..."). It is registered only after `notifications/initialized` and only for clients
 *   that declare the `elicitation` capability (connectClient does); the server then sends
 *   `notifications/tools/list_changed`. `trigger-elicitation-request-async` needs the client's
 *   tasks capability as well: not used here.
 * - Resource to read: `demo://resource/static/document/architecture.md` (static text, identical on
 *   every read; good for "same result direct and through regate"). `demo://resource/dynamic/text/{n}`
 *   embeds a timestamp, so two reads differ.
 * - Prompts: `simple-prompt` (no arguments) and `args-prompt` {city, state?}.
 * - Plain tools: `echo` {message} -> text "Echo: <message>"; `get-sum` {a, b};
 *   `get-structured-content` {location} returns structuredContent with an output schema.
 * - If the client declares `roots`, the server asks for roots/list 350 ms after initialization;
 *   connectClient does not declare it, so no unexpected server->client request arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  ElicitRequestSchema,
  type ElicitRequest,
  type ElicitResult,
  type Notification,
} from '@modelcontextprotocol/sdk/types.js';
import { freePort, waitForPort } from './ports.ts';

/** Names in server-everything the proxy tests rely on (see the file comment). */
export const EVERYTHING = {
  longRunningTool: 'trigger-long-running-operation',
  elicitationTool: 'trigger-elicitation-request',
  echoTool: 'echo',
  staticResource: 'demo://resource/static/document/architecture.md',
  simplePrompt: 'simple-prompt',
  argsPrompt: 'args-prompt',
} as const;

// ---------------------------------------------------------------------------------------------
// Child processes

/** A child process the tests started; killed on stop() and, failing that, when the test run exits. */
export interface ChildPeer {
  readonly child: ChildProcess;
  /** The last 64 KiB of the child's stdout and stderr, for failure messages. */
  output(): string;
  /** Why the child is gone ("exited with code 1"), or undefined while it runs. */
  exited(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: kill() only sends the signal, which is all we need.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

const OUTPUT_LIMIT = 64 * 1024;

/** Spawns a peer process with piped output, tracked so it never outlives the test run. */
export function spawnPeer(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildPeer {
  installExitHook();
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  let gone: string | undefined;
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // A peer a test forgot to stop must not keep the test run alive: unref the child and its
  // pipes, and let the exit hook kill it when the run ends.
  child.unref();
  for (const pipe of [child.stdout, child.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      gone ??= `could not start ${command}: ${err.message}`;
      live.delete(child);
      resolve();
    });
    child.once('exit', (code, signal) => {
      gone ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
      live.delete(child);
      resolve();
    });
  });
  return {
    child,
    output: () => output,
    exited: () => gone,
    async stop(graceMs = 3000) {
      if (gone !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// server-everything

export type EverythingMode = 'streamableHttp' | 'sse';

export interface EverythingPeer {
  /** `http://127.0.0.1:<port>/mcp` (streamableHttp) or `http://127.0.0.1:<port>/sse` (sse). */
  readonly url: string;
  readonly port: number;
  readonly mode: EverythingMode;
  /** The child's recent output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const requireHere = createRequire(import.meta.url);
const everythingEntry = join(dirname(requireHere.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');

/**
 * Starts server-everything in `mode` on a free port and resolves once it accepts connections.
 * It runs on the Node that runs the tests (process.execPath: Node 24 under `npx mocha`).
 */
export async function startEverything(mode: EverythingMode, { timeoutMs = 15_000 } = {}): Promise<EverythingPeer> {
  let lastError: unknown;
  // The free port can be taken between freePort() and the child's bind: try a few ports.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const peer = spawnPeer(process.execPath, [everythingEntry, mode], { ...process.env, PORT: String(port) });
    try {
      await waitForPort(port, '127.0.0.1', { timeoutMs, abort: peer.exited });
      return {
        url: `http://127.0.0.1:${port}${mode === 'sse' ? '/sse' : '/mcp'}`,
        port,
        mode,
        output: peer.output,
        stop: () => peer.stop(),
      };
    } catch (err) {
      await peer.stop();
      lastError = new Error(`server-everything (${mode}) did not start: ${(err as Error).message}\n${peer.output()}`);
      if (!/EADDRINUSE|already in use/i.test(peer.output())) break;
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// SDK client

export type PeerTransport = 'streamable-http' | 'sse';

export interface ConnectOptions {
  /** Sent on every HTTP request of the session (e.g. the agent's Authorization, a Cookie). */
  readonly headers?: Record<string, string>;
  /** Answers server->client `elicitation/create`; the default accepts with DEFAULT_ELICIT_ANSWER. */
  readonly elicit?: (params: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>;
  /** clientInfo.name sent in initialize. */
  readonly name?: string;
  /** Bound on initialize (ms); default 10 s. */
  readonly timeoutMs?: number;
}

export interface McpTestClient<T extends StreamableHTTPClientTransport | SSEClientTransport> {
  readonly client: Client;
  readonly transport: T;
  /** Every elicitation/create the server sent, in order. */
  readonly elicitations: Array<ElicitRequest['params']>;
  /** Every server notification without a dedicated handler (logging, list_changed, ...), in order. */
  readonly notifications: Notification[];
  close(): Promise<void>;
}

/** What the default elicitation handler answers: fills server-everything's required `name`. */
export const DEFAULT_ELICIT_ANSWER: ElicitResult = {
  action: 'accept',
  content: { name: 'Ada Lovelace', check: true, email: 'ada@example.com' },
};

/** The capabilities the test client declares: elicitation (form mode), so elicitation tools appear. */
export const TEST_CLIENT_CAPABILITIES = { elicitation: { form: {} } } as const;

function makeClient(options: ConnectOptions): Pick<McpTestClient<never>, 'client' | 'elicitations' | 'notifications'> {
  const client = new Client(
    { name: options.name ?? 'regate-test-client', version: '1.0.0' },
    { capabilities: TEST_CLIENT_CAPABILITIES },
  );
  const elicitations: Array<ElicitRequest['params']> = [];
  const notifications: Notification[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    elicitations.push(request.params);
    return options.elicit ? options.elicit(request.params) : DEFAULT_ELICIT_ANSWER;
  });
  client.fallbackNotificationHandler = async (notification) => {
    notifications.push(notification);
  };
  return { client, elicitations, notifications };
}

/** Connects an SDK Client over Streamable HTTP (initialize included). */
export async function connectStreamableHttp(
  url: string | URL,
  options: ConnectOptions = {},
): Promise<McpTestClient<StreamableHTTPClientTransport>> {
  const parts = makeClient(options);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { ...options.headers } },
  });
  await parts.client.connect(transport, { timeout: options.timeoutMs ?? 10_000 });
  return { ...parts, transport, close: () => parts.client.close() };
}

/** Connects an SDK Client over legacy HTTP+SSE: `url` is the GET /sse endpoint. */
export async function connectSse(url: string | URL, options: ConnectOptions = {}): Promise<McpTestClient<SSEClientTransport>> {
  const parts = makeClient(options);
  // requestInit headers go on the GET stream as well as on every POST (SDK _commonHeaders).
  const transport = new SSEClientTransport(new URL(url), { requestInit: { headers: { ...options.headers } } });
  await parts.client.connect(transport, { timeout: options.timeoutMs ?? 10_000 });
  return { ...parts, transport, close: () => parts.client.close() };
}

/** Connects over the transport a regate connection names (`streamable-http` or `sse`). */
export function connectClient(
  url: string | URL,
  transport: 'streamable-http',
  options?: ConnectOptions,
): Promise<McpTestClient<StreamableHTTPClientTransport>>;
export function connectClient(url: string | URL, transport: 'sse', options?: ConnectOptions): Promise<McpTestClient<SSEClientTransport>>;
export function connectClient(
  url: string | URL,
  transport: PeerTransport,
  options?: ConnectOptions,
): Promise<McpTestClient<StreamableHTTPClientTransport | SSEClientTransport>>;
export function connectClient(
  url: string | URL,
  transport: PeerTransport,
  options: ConnectOptions = {},
): Promise<McpTestClient<StreamableHTTPClientTransport | SSEClientTransport>> {
  return transport === 'sse' ? connectSse(url, options) : connectStreamableHttp(url, options);
}
