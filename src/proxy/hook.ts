import type { ConnectionConfig } from '../config/schema.ts';
import type { JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { RegateError } from '../errors.ts';

/**
 * The one place where every MCP message crossing regate is seen. Policy, masking, approvals and
 * recording plug in here; the proxy itself only frames, forwards and relays.
 */

/** Facts about the HTTP exchange a message belongs to. */
export interface ExchangeContext {
  /** regate's request id (also `X-Request-Id` and in every log line). */
  readonly requestId: string;
  /** The client's own `X-Request-Id`, when it sent a sane one: kept beside regate's, never instead of it. */
  readonly clientRequestId?: string | undefined;
  readonly connection: ConnectionConfig;
  /** `Mcp-Session-Id` (Streamable HTTP) or regate's legacy-SSE session id; absent before initialize. */
  readonly sessionId: string | undefined;
  readonly http: {
    readonly method: string;
    readonly path: string;
    readonly remoteAddress: string;
    readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  };
  /** Set by an authentication layer in front of the proxy. */
  readonly principal?: unknown;
}

/** What to do with one client->server message. */
export type ClientVerdict =
  /** Send upstream; `message` may differ from the original (e.g. redacted arguments). */
  | { readonly action: 'forward'; readonly message: JSONRPCMessage; readonly note?: unknown }
  /** Do not send upstream; answer the client with `reply` (omitted for notifications and responses). */
  | { readonly action: 'reply'; readonly reply?: JSONRPCMessage };

/** A forwarded request waiting for its response, handed back with the response. */
export interface PendingRequest {
  readonly message: JSONRPCMessage;
  /** Whatever the hook returned as `note` when it forwarded the request. */
  readonly note: unknown;
}

/** HTTP operations that carry no JSON-RPC message but still pass through policy. */
export type HttpOperation = 'open_stream' | 'delete_session';

export interface MessageHook {
  onClientMessage(ctx: ExchangeContext, message: JSONRPCMessage): Promise<ClientVerdict>;
  /**
   * Sees a server->client message before the client does. `request` is the forwarded request this
   * message answers, when it is a response regate could correlate. Returns the message to deliver,
   * or null to drop it.
   */
  onServerMessage(ctx: ExchangeContext, message: JSONRPCMessage, request: PendingRequest | undefined): Promise<JSONRPCMessage | null>;
  /** Decides a GET stream or a session DELETE; a RegateError refuses it. */
  onHttpOperation(ctx: ExchangeContext, op: HttpOperation): Promise<RegateError | undefined>;
}

/** Forwards everything unchanged: the transparent proxy. */
export const passthroughHook: MessageHook = {
  onClientMessage: async (_ctx, message) => ({ action: 'forward', message }),
  onServerMessage: async (_ctx, message) => message,
  onHttpOperation: async () => undefined,
};
