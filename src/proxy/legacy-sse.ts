import { randomUUID } from 'node:crypto';
import type { PendingRequest } from './hook.ts';
import { RegateError, asRegateError } from '../errors.ts';
import { parseJsonRpcBody, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import { formatSseEvent } from '../mcp/sse.ts';
import { decideClientMessages } from './client-messages.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { pendingIds, relayResponse } from './relay.ts';
import { readJsonBody } from './request-body.ts';
import { sendRpcError } from './respond.ts';
import { relayContext, streamTracker, upstreamFailed, type Exchange, type ProxyDeps } from './streamable.ts';
import { writeChunk } from './write.ts';

/**
 * Legacy HTTP+SSE transport (MCP 2024-11-05). The client opens `GET /sse/{connection}`; the
 * upstream's `endpoint` event is rewritten to a regate URL carrying regate's own session id, and the
 * client's POSTs to it are decided, then forwarded to the upstream endpoint it announced. Responses
 * come back on the GET stream, so the session keeps the pending requests of all its POSTs.
 */
export interface LegacySession {
  readonly id: string;
  readonly connection: string;
  /** The upstream message endpoint, known once the upstream sent its `endpoint` event. */
  upstreamEndpoint: URL | undefined;
  readonly pending: Map<string, PendingRequest>;
  /** Who opened the stream; POSTs must come from the same principal. */
  readonly principal: unknown;
  /** Writes a message regate answers itself onto the client's stream. */
  inject(message: JSONRPCMessage): Promise<boolean>;
}

export class LegacySessions {
  readonly #sessions = new Map<string, LegacySession>();

  get(id: string): LegacySession | undefined {
    return this.#sessions.get(id);
  }
  add(s: LegacySession): void {
    this.#sessions.set(s.id, s);
  }
  delete(id: string): void {
    this.#sessions.delete(id);
  }
  get size(): number {
    return this.#sessions.size;
  }
}

/** GET /sse/{connection}: opens the client's stream and the upstream's. */
export async function handleLegacyStream(x: Exchange, deps: ProxyDeps, sessions: LegacySessions, publicBase: string): Promise<void> {
  const { req, res, log } = x;
  const id = randomUUID();
  const ctx = { ...x.ctx, sessionId: id };
  let refused: RegateError | undefined;
  try {
    refused = await deps.hook.onHttpOperation(ctx, 'open_stream');
  } catch (err) {
    refused = asRegateError(err);
  }
  if (refused) return sendRpcError(res, refused);

  const origin = new URL(x.connection.url).origin;
  const session: LegacySession = {
    id,
    connection: x.connection.name,
    upstreamEndpoint: undefined,
    pending: new Map(),
    principal: ctx.principal,
    inject: (m) => writeChunk(res, formatSseEvent({ event: 'message', data: JSON.stringify(m) })),
  };
  const relay = relayContext({ ...x, ctx }, deps, {
    pending: session.pending,
    onStream: streamTracker(deps, x.connection.name, 'listen'),
    rewriteEvent: (event, data) => {
      if (event !== 'endpoint') {
        log.warn({ event }, 'dropped SSE event of unknown type from upstream');
        return null;
      }
      const endpoint = new URL(data.trim(), x.connection.url);
      if (endpoint.origin !== origin) {
        log.error({ code: 'REGATE_ERR_UPSTREAM_ORIGIN', endpoint: endpoint.origin }, 'upstream endpoint on another origin; refused');
        res.destroy();
        return null;
      }
      session.upstreamEndpoint = endpoint;
      sessions.add(session);
      return `${publicBase}/sse/${encodeURIComponent(x.connection.name)}/message?session_id=${id}`;
    },
  });
  res.once('close', () => sessions.delete(id));
  x.upstream.forward(req, res, {
    target: new URL(x.connection.url),
    headers: upstreamRequestHeaders(req.headers, x.connection.headers, ctx.requestId),
    body: undefined,
    onResponse: (upstream) => relayResponse(upstream, res, relay).catch((err) => log.error({ err }, 'legacy relay failed')),
    onError: (err) => upstreamFailed(x, deps, err, [], [], false),
  });
}

/** POST /sse/{connection}/message?session_id=...: a client message for an open legacy session. */
export async function handleLegacyMessage(x: Exchange, deps: ProxyDeps, sessions: LegacySessions, sessionId: string): Promise<void> {
  const { req, res, log } = x;
  const session = sessions.get(sessionId);
  if (!session || session.connection !== x.connection.name || !session.upstreamEndpoint) {
    req.resume();
    return sendRpcError(res, new RegateError('REGATE_ERR_UNKNOWN_SSE_SESSION'));
  }
  if (!samePrincipal(session.principal, x.ctx.principal)) {
    req.resume();
    return sendRpcError(res, new RegateError('REGATE_ERR_UNKNOWN_SSE_SESSION', 'the session belongs to another principal'));
  }
  let parsed;
  try {
    const text = await readJsonBody(req, deps.limits.max_body_bytes);
    parsed = parseJsonRpcBody(text, { maxDepth: deps.limits.max_json_depth, maxBatch: deps.limits.max_batch_messages });
  } catch (err) {
    return sendRpcError(res, asRegateError(err));
  }
  const ctx = { ...x.ctx, sessionId };
  const d = await decideClientMessages(ctx, parsed.messages, deps.hook, deps.metrics, x, session.pending);
  // In this transport every answer travels on the stream, including regate's own.
  for (const m of d.local) await session.inject(m);
  if (d.forwarded.length === 0) {
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    return;
  }
  for (const [k, p] of d.pending) session.pending.set(k, p);
  const target = session.upstreamEndpoint;
  x.upstream.forward(req, res, {
    target,
    headers: upstreamRequestHeaders(req.headers, x.connection.headers, ctx.requestId),
    body: Buffer.from(JSON.stringify(parsed.batch ? d.forwarded : d.forwarded[0])),
    onResponse: (upstream) => {
      if ((upstream.statusCode ?? 500) < 300) {
        upstream.resume();
        res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
        return;
      }
      for (const k of d.pending.keys()) session.pending.delete(k);
      const relay = relayContext({ ...x, ctx }, deps, { pending: d.pending, batch: parsed.batch });
      relayResponse(upstream, res, relay).catch((err) => log.error({ err }, 'legacy relay failed'));
    },
    onError: (err) => {
      for (const k of d.pending.keys()) session.pending.delete(k);
      upstreamFailed(x, deps, err, pendingIds(d.pending), [], parsed.batch);
    },
  });
}

function samePrincipal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ida = (a as { id?: unknown } | undefined)?.id;
  const idb = (b as { id?: unknown } | undefined)?.id;
  return ida !== undefined && ida === idb;
}
