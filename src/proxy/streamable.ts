import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config, ConnectionConfig } from '../config/schema.ts';
import { asRegateError, type RegateError } from '../errors.ts';
import { parseJsonRpcBody, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import { decideClientMessages } from './client-messages.ts';
import { upstreamRequestHeaders } from './headers.ts';
import type { ExchangeContext, MessageHook } from './hook.ts';
import type { ProxyMetrics } from './metrics.ts';
import { pendingIds, relayResponse, type RelayContext } from './relay.ts';
import { readJsonBody } from './request-body.ts';
import { sendLocalReplies, sendRpcError } from './respond.ts';
import type { Upstream } from './upstream.ts';

/** What the MCP handlers share for the life of the process. */
export interface ProxyDeps {
  readonly hook: MessageHook;
  readonly metrics: ProxyMetrics;
  readonly limits: Config['limits'];
  /** Registers a long-lived stream so shutdown can close it; returns the unregister function. */
  readonly trackStream: (res: ServerResponse, kind: 'call' | 'listen') => () => void;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly connection: ConnectionConfig;
  readonly upstream: Upstream;
  readonly ctx: ExchangeContext;
  readonly log: Logger;
}

const targets = new WeakMap<ConnectionConfig, URL>();
/** The connection's URL, parsed once (forwarders never change it). */
function targetOf(connection: ConnectionConfig): URL {
  let url = targets.get(connection);
  if (url === undefined) targets.set(connection, (url = new URL(connection.url)));
  return url;
}

/** The relay settings shared by every response of an exchange; `over` sets what differs. */
export function relayContext(
  x: Exchange,
  deps: ProxyDeps,
  over: Pick<RelayContext, 'pending'> & Partial<RelayContext>,
): RelayContext {
  return {
    ctx: x.ctx,
    hook: deps.hook,
    get log() {
      return x.log;
    },
    metrics: deps.metrics,
    localReplies: [],
    batch: false,
    maxResponseBytes: deps.limits.max_response_bytes,
    maxDepth: deps.limits.max_json_depth,
    ...over,
  };
}

/** POST /mcp/{connection}: one JSON-RPC message or batch from the client. */
export async function handleStreamablePost(x: Exchange, deps: ProxyDeps): Promise<void> {
  const { req, res, ctx } = x;
  let parsed;
  try {
    const text = await readJsonBody(req, deps.limits.max_body_bytes);
    parsed = parseJsonRpcBody(text, { maxDepth: deps.limits.max_json_depth, maxBatch: deps.limits.max_batch_messages });
  } catch (err) {
    const e = asRegateError(err);
    x.log.info({ code: e.code, detail: e.detail }, 'refused client body');
    return sendRpcError(res, e);
  }
  const d = await decideClientMessages(ctx, parsed.messages, deps.hook, deps.metrics, x);
  if (d.forwarded.length === 0) return sendLocalReplies(res, d.local, parsed.batch);

  const body = Buffer.from(JSON.stringify(parsed.batch ? d.forwarded : d.forwarded[0]));
  const started = process.hrtime.bigint();
  const relay = relayContext(x, deps, {
    pending: d.pending,
    localReplies: d.local,
    batch: parsed.batch,
    onStream: streamTracker(deps, x.connection.name, 'call'),
  });
  x.upstream.forward(req, res, {
    target: targetOf(x.connection),
    headers: upstreamRequestHeaders(req.headers, x.connection.headers, ctx.requestId),
    body,
    onResponse: (upstream) => {
      deps.metrics.upstreamLatency(x.connection.name, Number(process.hrtime.bigint() - started) / 1e9);
      relayResponse(upstream, res, relay).catch((err) => failAfterStart(res, x.log, err));
    },
    onError: (err) => upstreamFailed(x, deps, err, pendingIds(d.pending), d.local, parsed.batch),
  });
}

/** GET (listen for server messages) and DELETE (end session) on /mcp/{connection}. */
export async function handleStreamableOther(x: Exchange, deps: ProxyDeps): Promise<void> {
  const { req, res, ctx } = x;
  const op = req.method === 'DELETE' ? 'delete_session' : 'open_stream';
  let refused: RegateError | undefined;
  try {
    refused = await deps.hook.onHttpOperation(ctx, op);
  } catch (err) {
    refused = asRegateError(err);
  }
  if (refused) return sendRpcError(res, refused);
  const relay = relayContext(x, deps, { pending: new Map(), onStream: streamTracker(deps, x.connection.name, 'listen') });
  x.upstream.forward(req, res, {
    target: targetOf(x.connection),
    headers: upstreamRequestHeaders(req.headers, x.connection.headers, ctx.requestId),
    body: undefined,
    onResponse: (upstream) => relayResponse(upstream, res, relay).catch((err) => failAfterStart(res, x.log, err)),
    onError: (err) => upstreamFailed(x, deps, err, [], [], false),
  });
}

/** Gauge and shutdown bookkeeping for one streamed response. */
export function streamTracker(deps: ProxyDeps, connection: string, kind: 'call' | 'listen') {
  let untrack: (() => void) | undefined;
  return (open: boolean, res: ServerResponse) => {
    if (open) {
      deps.metrics.streamOpened(connection);
      untrack = deps.trackStream(res, kind);
    } else {
      deps.metrics.streamClosed(connection);
      untrack?.();
    }
  };
}

export function upstreamFailed(
  x: Exchange,
  deps: ProxyDeps,
  err: RegateError,
  ids: readonly (string | number)[],
  local: readonly JSONRPCMessage[],
  batch: boolean,
): void {
  deps.metrics.upstreamError(x.connection.name, err.code);
  x.log.warn({ code: err.code, detail: err.detail }, 'upstream request failed');
  if (x.res.headersSent) {
    if (!x.res.writableEnded) x.res.end();
    return;
  }
  if (local.length > 0 && ids.length === 0) return sendLocalReplies(x.res, local, batch);
  // Keep regate's own replies and add the upstream failure for every forwarded request.
  sendRpcError(x.res, err, { ids, local, batch });
}

function failAfterStart(res: ServerResponse, log: Logger, err: unknown): void {
  log.error({ err }, 'relay failed');
  if (!res.headersSent) sendRpcError(res, asRegateError(err));
  else if (!res.writableEnded) res.end();
}

