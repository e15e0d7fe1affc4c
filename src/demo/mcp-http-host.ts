/**
 * Serves MCP servers over HTTP the way a real upstream does: Streamable HTTP on `/mcp` (stateful
 * sessions keyed by `Mcp-Session-Id`, POST + GET stream + DELETE) and the legacy HTTP+SSE
 * transport on `/sse` + `/message`. Used by the demo CRM and by the test fixtures.
 *
 * Plain node:http rather than Express or the SDK's createMcpExpressApp: that app rejects Host
 * headers other than localhost (DNS-rebinding protection), which would break as soon as a proxy
 * forwards its own Host. Here the bearer check (when configured) is the protection instead: a
 * rebinding browser page cannot attach the credential.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';

export interface McpHttpHostOptions {
  /** Interface to listen on, e.g. 127.0.0.1. */
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Makes the McpServer for one new session (the SDK binds a server to a single transport). */
  readonly createServer: () => McpServer;
  /** When given, a request it returns false for gets 401 before anything else happens. */
  readonly authorize?: (req: IncomingMessage) => boolean;
  /** `realm` of the 401 challenge. */
  readonly realm?: string;
  /** Sees every request first, before authorization (fixtures record headers here). */
  readonly onRequest?: (req: IncomingMessage) => void;
}

export interface McpHttpHost {
  /** Streamable HTTP endpoint, e.g. http://127.0.0.1:41234/mcp. */
  readonly url: string;
  /** Legacy HTTP+SSE endpoint (the GET stream), e.g. http://127.0.0.1:41234/sse. */
  readonly sseUrl: string;
  readonly port: number;
  /** Open MCP sessions (Streamable HTTP and legacy SSE together). */
  activeSessions(): number;
  /** Closes every session and stream, then the listener. */
  close(): Promise<void>;
}

interface Session<T> {
  readonly transport: T;
  readonly server: McpServer;
}

/** Starts the listener and resolves once it accepts connections. */
export async function startMcpHttpHost(options: McpHttpHostOptions): Promise<McpHttpHost> {
  const streamable = new Map<string, Session<StreamableHTTPServerTransport>>();
  const legacy = new Map<string, Session<SSEServerTransport>>();

  async function handleStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      res.setHeader('Allow', 'POST, GET, DELETE');
      return sendRpcError(res, 405, -32000, 'Method not allowed');
    }
    const sessionId = singleHeader(req, 'mcp-session-id');
    if (sessionId !== undefined) {
      const session = streamable.get(sessionId);
      // 404 tells a client its session is gone and it must initialize again (MCP spec).
      if (!session) return sendRpcError(res, 404, -32001, 'Session not found');
      return session.transport.handleRequest(req, res);
    }
    if (method !== 'POST') return sendRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');

    // No session yet: only an initialize request may start one, and the transport itself
    // answers anything else with a JSON-RPC error, so the body is not parsed twice.
    const server = options.createServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        streamable.set(id, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) streamable.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
    if (transport.sessionId === undefined) await server.close();
  }

  async function openLegacyStream(res: ServerResponse): Promise<void> {
    const server = options.createServer();
    const transport = new SSEServerTransport('/message', res);
    legacy.set(transport.sessionId, { transport, server });
    transport.onclose = () => {
      legacy.delete(transport.sessionId);
    };
    await server.connect(transport);
  }

  async function postLegacyMessage(req: IncomingMessage, res: ServerResponse, sessionId: string | null): Promise<void> {
    const session = sessionId === null ? undefined : legacy.get(sessionId);
    if (!session) return sendRpcError(res, 404, -32001, 'Session not found; open GET /sse again');
    return session.transport.handlePostMessage(req, res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    options.onRequest?.(req);
    if (options.authorize && !options.authorize(req)) return sendUnauthorized(res, req, options.realm ?? 'mcp');
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    switch (url.pathname) {
      case '/mcp':
        return handleStreamable(req, res);
      case '/sse':
        if (req.method === 'GET') return openLegacyStream(res);
        res.setHeader('Allow', 'GET');
        return sendRpcError(res, 405, -32000, 'Method not allowed');
      case '/message':
        if (req.method === 'POST') return postLegacyMessage(req, res, url.searchParams.get('sessionId'));
        res.setHeader('Allow', 'POST');
        return sendRpcError(res, 405, -32000, 'Method not allowed');
      default:
        return sendRpcError(res, 404, -32000, `Not found: ${url.pathname}`);
    }
  }

  // noDelay is Node's default; set it anyway because the proxy benchmark depends on it.
  const http = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendRpcError(res, 500, -32603, err instanceof Error ? err.message : 'Internal error');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const base = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${base}/mcp`,
    sseUrl: `${base}/sse`,
    port,
    activeSessions: () => streamable.size + legacy.size,
    close() {
      closing ??= (async () => {
        const sessions = [...streamable.values(), ...legacy.values()];
        await Promise.allSettled(sessions.map((s) => s.server.close()));
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          // Open SSE streams would keep close() waiting forever.
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** RFC 6750 challenge; the body has the same shape as the SDK's bearer-auth middleware. */
function sendUnauthorized(res: ServerResponse, req: IncomingMessage, realm: string): void {
  const hadToken = req.headers.authorization !== undefined;
  const challenge = hadToken ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`;
  res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge });
  res.end(
    JSON.stringify({
      error: 'invalid_token',
      error_description: hadToken ? 'The bearer token is not valid for this server' : 'A bearer token is required',
    }),
  );
  // Drain the body so the connection can be reused.
  req.resume();
}
