import { randomUUID } from 'node:crypto';
import { RegateError, asRegateError } from '../errors.ts';
import { idKey, idOf, kindOf } from '../mcp/jsonrpc.ts';
import { messagesJson } from '../mcp/message-json.ts';
import type { CallRecord } from '../pipeline/call-record.ts';
import type { Outgoing, RequestIdClaims } from '../pipeline/compose.ts';
import { ClientReply, errorsFor } from './client-reply.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { relayResponse } from './relay.ts';
import { readJsonRpcBody } from './request-body.ts';
import { offerClientChannel } from '../pipeline/client-channel.ts';
import { factsWith } from '../pipeline/facts-with.ts';
import { mcpHeadersFor, relayContext, streamableUpstreamReply, streamTracker, upstreamFailed, type Exchange, type ProxyDeps } from './streamable.ts';

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
  readonly pending: Map<string, CallRecord>;
  /** Who opened the stream; POSTs must come from the same principal. */
  readonly principalId: string | undefined;
  /**
   * Aborted when the client's stream closes (or regate drains): the session's held calls wait on
   * it, since their answers travel on that stream and the POST that carried them is long answered.
   */
  readonly signal: AbortSignal;
  /** Writes a message regate answers itself onto the client's stream. */
  inject(o: Outgoing): Promise<boolean>;
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
  const sx: Exchange = { ...x, facts: factsWith(x.facts, { sessionId: id, sessionRef: deps.sessionRef?.(id) }) };
  const reply = new ClientReply(res, sx.facts, deps.pipeline);
  const refused = await deps.pipeline.httpOperation('open_stream', sx.facts);
  if (refused) return reply.error(refused);

  const origin = new URL(x.connection.url).origin;
  const session: LegacySession = {
    id,
    connection: x.connection.name,
    upstreamEndpoint: undefined,
    pending: new Map(),
    principalId: x.facts.principal?.id,
    signal: sx.facts.signal,
    inject: (o) => reply.event(o),
  };
  const relay = relayContext(sx, deps, reply, {
    pending: session.pending,
    upstreamReply: {
      answer: async (m) => {
        if (session.upstreamEndpoint) await streamableUpstreamReply(sx, session.upstreamEndpoint).answer(m);
      },
    },
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
    headers: upstreamRequestHeaders(req.headers, x.connection.headers, sx.facts.requestId, mcpHeadersFor(sx)),
    body: undefined,
    onResponse: (upstream) => relayResponse(upstream, relay).catch((err) => log.error({ err }, 'legacy relay failed')),
    onError: (err) => upstreamFailed(sx, deps, reply, err, relay),
  });
}

/** POST /sse/{connection}/message?session_id=...: a client message for an open legacy session. */
export async function handleLegacyMessage(x: Exchange, deps: ProxyDeps, sessions: LegacySessions, sessionId: string): Promise<void> {
  const { req, res } = x;
  const session = sessions.get(sessionId);
  const reply = new ClientReply(res, x.facts, deps.pipeline);
  if (!session || session.connection !== x.connection.name || !session.upstreamEndpoint) {
    req.resume();
    return reply.error(new RegateError('REGATE_ERR_UNKNOWN_SSE_SESSION'));
  }
  if (session.principalId !== x.facts.principal?.id) {
    req.resume();
    // The same answer as for an id that does not exist: never confirm another principal's session.
    return reply.error(new RegateError('REGATE_ERR_UNKNOWN_SSE_SESSION'));
  }
  let parsed;
  try {
    parsed = await readJsonRpcBody(req, deps.limits);
  } catch (err) {
    return reply.error(asRegateError(err));
  }
  // Holds wait on the session's stream, not on this POST (answered 202 at once).
  const sx: Exchange = { ...x, facts: factsWith(x.facts, { sessionId, sessionRef: deps.sessionRef?.(sessionId), signal: session.signal }) };
  const a = await deps.pipeline.admit(sx.facts, parsed.messages, pendingClaims(session));
  // In this transport every answer travels on the stream, including regate's own. Holds are
  // answered on the stream too: the POST itself is accepted at once.
  for (const o of a.local) await session.inject(o);
  // The legacy transport predates elicitation: regate puts no requests of its own to its clients.
  if (a.held.length > 0) offerClientChannel(sx.facts, undefined);
  for (const h of a.held) {
    void h.outcome.then(async (o) => {
      // A client whose stream closed while its call was held cancelled it: it never goes upstream.
      if (session.signal.aborted || sessions.get(session.id) !== session) return;
      if (o.forward) return forwardLegacy(sx, deps, session, [h.call], false, undefined);
      // Answered by regate: its id, pending since it was admitted, is free again.
      const id = idOf(h.call.message);
      if (id !== undefined) session.pending.delete(idKey(id));
      if (o.reply !== undefined) await session.inject({ message: o.reply, call: h.call });
    });
  }
  if (a.forwarded.length === 0) {
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    return;
  }
  await forwardLegacy(sx, deps, session, a.forwarded, parsed.batch, reply);
}

/**
 * A legacy session's ids in use are its pending calls: a call admitted (forwarded or held) is
 * pending from the moment its id is checked, so a POST reusing it meanwhile is refused.
 */
function pendingClaims(session: LegacySession): RequestIdClaims {
  return {
    claim: (id, call) => {
      if (session.pending.has(id)) return false;
      session.pending.set(id, call);
      return true;
    },
    release: (id) => void session.pending.delete(id),
  };
}

/**
 * POSTs calls to the upstream's message endpoint; their answers come back on the session's
 * stream. `reply` is the client's POST, when it is still waiting (not for a released hold).
 */
async function forwardLegacy(x: Exchange, deps: ProxyDeps, session: LegacySession, calls: readonly CallRecord[], batch: boolean, reply: ClientReply | undefined): Promise<void> {
  const pending = new Map<string, CallRecord>();
  for (const c of calls) {
    const m = c.forwarded ?? c.message;
    const id = idOf(m);
    if (kindOf(m) === 'request' && id !== undefined) pending.set(idKey(id), c);
  }
  const refuse = async (err: RegateError) => {
    for (const k of pending.keys()) session.pending.delete(k);
    if (reply) return reply.error(err, { waiting: [...pending.values()], batch });
    for (const o of errorsFor([...pending.values()], err)) await session.inject(o);
  };
  try {
    await deps.pipeline.beforeForward(calls, x.facts);
  } catch (err) {
    return refuse(asRegateError(err));
  }
  for (const [k, c] of pending) session.pending.set(k, c);
  const messages = calls.map((c) => c.forwarded ?? c.message);
  const body = Buffer.from(messagesJson(messages, batch));
  const headers = upstreamRequestHeaders(x.req.headers, x.connection.headers, x.facts.requestId, mcpHeadersFor(x));
  if (reply === undefined) {
    // A released hold: the client's POST was answered long ago; only the upstream is told.
    headers['content-type'] = 'application/json';
    let status: number;
    try {
      status = await x.upstream.send('POST', session.upstreamEndpoint!, headers, body);
    } catch (err) {
      // Unreachable or timed out: the agent hears which, in regate's words.
      return refuse(asRegateError(err, 'REGATE_ERR_UPSTREAM_UNREACHABLE'));
    }
    if (status >= 300) await refuse(new RegateError('REGATE_ERR_UPSTREAM_STATUS', `${x.connection.name} answered HTTP ${status}`));
    return;
  }
  const { res } = x;
  x.upstream.forward(x.req, res, {
    target: session.upstreamEndpoint!,
    headers,
    body,
    onResponse: (upstream) => {
      if ((upstream.statusCode ?? 500) < 300) {
        upstream.resume();
        res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
        return;
      }
      for (const k of pending.keys()) session.pending.delete(k);
      const relay = relayContext(x, deps, reply, { pending, batch });
      relayResponse(upstream, relay).catch((err) => x.log.error({ err }, 'legacy relay failed'));
    },
    onError: (err) => {
      for (const k of pending.keys()) session.pending.delete(k);
      upstreamFailed(x, deps, reply, err, relayContext(x, deps, reply, { pending, batch }));
    },
  });
}
