import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config, ConnectionConfig } from '../config/schema.ts';
import { asRegateError, type RegateError } from '../errors.ts';
import { idKey, idOf, kindOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import { messagesJson } from '../mcp/message-json.ts';
import { MCP_PROTOCOL_VERSION_HEADER, classifyInbound, upstreamMcpHeaders } from '../mcp/mcp-headers.ts';
import { answersForms } from '../mcp/elicitation.ts';
import { newCallRecord } from '../pipeline/compose.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import type { Outgoing, Pipeline } from '../pipeline/compose.ts';
import type { UpstreamReply } from '../pipeline/stage.ts';
import { ClientReply } from './client-reply.ts';
import type { ClientRequests } from './client-requests.ts';
import { InFlightRequests } from './in-flight.ts';
import { headerValue, upstreamRequestHeaders } from './headers.ts';
import { holdCalls } from './hold.ts';
import type { ProxyMetrics } from './metrics.ts';
import { relayResponse, type RelayContext } from './relay.ts';
import { readJsonRpcBody } from './request-body.ts';
import { toolHeadersOf } from './tool-headers.ts';
import type { Upstream } from './upstream.ts';

/** What the MCP handlers share for the life of the process. */
export interface ProxyDeps {
  readonly pipeline: Pipeline;
  readonly metrics: ProxyMetrics;
  readonly limits: Config['limits'];
  /** Registers a long-lived stream so shutdown can close it; returns the unregister function. */
  readonly trackStream: (res: ServerResponse, kind: 'call' | 'listen') => () => void;
  /** Seconds between SSE keepalive comments (and progress notifications) on a held call. */
  readonly holdKeepaliveSeconds: number;
  /** Request ids waiting for answers, per Streamable HTTP session (reused ids are refused). */
  readonly inFlight: InFlightRequests;
  /** The keyed hash logs show for a session id (src/proxy/session-binding.ts). */
  readonly sessionRef?: (sessionId: string) => string;
  /** Requests regate puts to clients of held calls (a justification form), and their answers. */
  readonly clientRequests?: ClientRequests;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly connection: ConnectionConfig;
  readonly upstream: Upstream;
  readonly facts: ExchangeFacts;
  readonly log: Logger;
}

const targets = new WeakMap<ConnectionConfig, URL>();
/** The connection's URL, parsed once (forwarders never change it). */
export function targetOf(connection: ConnectionConfig): URL {
  let url = targets.get(connection);
  if (url === undefined) targets.set(connection, (url = new URL(connection.url)));
  return url;
}

/** The relay settings shared by every response of an exchange; `over` sets what differs. */
export function relayContext(
  x: Exchange,
  deps: ProxyDeps,
  reply: ClientReply,
  over: Pick<RelayContext, 'pending'> & Partial<RelayContext>,
): RelayContext {
  return {
    facts: x.facts,
    pipeline: deps.pipeline,
    get log() {
      return x.log;
    },
    metrics: deps.metrics,
    local: [],
    batch: false,
    maxResponseBytes: deps.limits.max_response_bytes,
    maxDepth: deps.limits.max_json_depth,
    reply,
    upstreamReply: streamableUpstreamReply(x),
    ...over,
  };
}

/**
 * Answers a server request on the upstream side (a refusal by policy): POSTs the JSON-RPC
 * response to the connection with the session's id and the gateway credential, as a client would.
 */
export function streamableUpstreamReply(x: Exchange, target: URL = targetOf(x.connection)): UpstreamReply {
  return {
    answer: async (message) => {
      const headers = upstreamRequestHeaders(x.req.headers, x.connection.headers, x.facts.requestId, mcpHeadersFor(x, message));
      headers['content-type'] = 'application/json';
      headers['accept'] = 'application/json, text/event-stream';
      delete headers['last-event-id'];
      const status = await x.upstream.send('POST', target, headers, Buffer.from(JSON.stringify(message)));
      if (status >= 300) x.log.warn({ status }, 'upstream did not accept regate\'s answer to its request');
    },
  };
}

/**
 * The `Mcp-*` headers for what regate sends upstream, computed from `message` (the message it
 * forwards; a batch is the 2025 era, where only the version counts) and never copied from the
 * client; without a message (GET, DELETE) only the session's protocol version.
 */
export function mcpHeadersFor(x: Exchange, message?: JSONRPCMessage): Record<string, string> {
  // 2025: the version the session negotiated, which only the client's header says (regate keeps
  // no per-session state for it); 2026: the forwarded envelope's, which upstreamMcpHeaders reads.
  const sessionVersion = headerValue(x.req.headers, 'mcp-protocol-version')?.trim();
  const protocolVersion = x.facts.era === '2025' ? sessionVersion : x.facts.protocolVersion;
  if (message === undefined) return protocolVersion === undefined ? {} : { [MCP_PROTOCOL_VERSION_HEADER]: protocolVersion };
  return upstreamMcpHeaders(message, { era: x.facts.era, protocolVersion, headerParams: toolHeadersOf(x.connection) });
}

/**
 * POST /mcp/{connection}: one JSON-RPC message or batch from the client. `lateSlot`: the request
 * was admitted without a call slot (it may carry only answers to regate's own questions); it takes
 * one if anything else is in it.
 */
export async function handleStreamablePost(x: Exchange, deps: ProxyDeps, lateSlot?: () => Promise<boolean>): Promise<void> {
  const { req, res, facts } = x;
  const reply = new ClientReply(res, facts, deps.pipeline);
  let parsed;
  try {
    parsed = await readJsonRpcBody(req, deps.limits);
  } catch (err) {
    const e = asRegateError(err);
    x.log.info({ code: e.code, detail: e.detail }, 'refused client body');
    return reply.error(e);
  }
  if (deps.clientRequests !== undefined) {
    // Answers to regate's own requests (a held call's justification form) end here: the upstream never asked.
    const rest = deps.clientRequests.take(facts, parsed.messages);
    if (rest.length === 0) {
      res.writeHead(202).end();
      return;
    }
    if (rest !== parsed.messages) parsed = { ...parsed, messages: rest };
  }
  if (lateSlot !== undefined && !(await lateSlot())) return;
  try {
    // The body decides the era; a 2026 request whose Mcp-* headers say something else than its
    // body is refused here, before policy, so the upstream never receives it.
    classifyInbound({
      httpMethod: 'POST',
      body: parsed.batch ? parsed.messages : parsed.messages[0],
      headers: req.headers,
      headerParams: toolHeadersOf(x.connection),
      onEra: (era) => {
        facts.era = era.era;
        facts.protocolVersion = era.protocolVersion;
        facts.client = era.client;
        // 2026: every request declares its client's capabilities; 2025: the session's initialize did.
        if (era.era === '2026') facts.answersForms = answersForms(era.client?.capabilities);
      },
    });
  } catch (err) {
    const e = asRegateError(err);
    x.log.info({ code: e.code, detail: e.detail }, 'refused client request: era or Mcp-* headers');
    const waiting = parsed.batch ? [] : parsed.messages.map((m) => newCallRecord(facts, m));
    return reply.error(e, { waiting });
  }
  // The ids of forwarded and held calls stay claimed until this POST's answer closes.
  const admission = await deps.pipeline.admit(facts, parsed.messages, deps.inFlight.claims(InFlightRequests.keyOf(facts), res));
  if (admission.held.length > 0) return holdCalls(x, deps, reply, admission, parsed.batch, forwardPart);
  if (admission.forwarded.length === 0) return reply.messages(200, admission.local, parsed.batch);
  return forwardPart(x, deps, reply, admission.forwarded, admission.local, parsed.batch);
}

/**
 * Sends calls upstream as one request (after the pipeline's barrier) and relays the answer into
 * `reply`, together with regate's own `local` replies.
 */
export async function forwardPart(x: Exchange, deps: ProxyDeps, reply: ClientReply, calls: readonly CallRecord[], local: readonly Outgoing[], batch: boolean): Promise<void> {
  const pending = new Map<string, CallRecord>();
  for (const c of calls) {
    const m = c.forwarded ?? c.message;
    const id = idOf(m);
    if (kindOf(m) === 'request' && id !== undefined) pending.set(idKey(id), c);
  }
  try {
    await deps.pipeline.beforeForward(calls, x.facts);
  } catch (err) {
    // The barrier refused (recording could not take the calls): nothing goes upstream.
    const e = asRegateError(err);
    x.log.warn({ code: e.code, detail: e.detail }, 'calls refused before forwarding');
    return reply.error(e, { waiting: [...pending.values()], local, batch });
  }
  const messages: JSONRPCMessage[] = calls.map((c) => c.forwarded ?? c.message);
  // Re-serialized (docs/proxy.md), once: the recording stage measured the request event by this text.
  const body = Buffer.from(messagesJson(messages, batch));
  const started = process.hrtime.bigint();
  const relay = relayContext(x, deps, reply, { pending, local, batch, onStream: streamTracker(deps, x.connection.name, 'call') });
  return new Promise<void>((resolve) => {
    x.upstream.forward(x.req, x.res, {
      target: targetOf(x.connection),
      headers: upstreamRequestHeaders(x.req.headers, x.connection.headers, x.facts.requestId, mcpHeadersFor(x, messages[0])),
      body,
      onResponse: (upstream) => {
        deps.metrics.upstreamLatency(x.connection.name, Number(process.hrtime.bigint() - started) / 1e9);
        relayResponse(upstream, relay)
          .catch((err) => failAfterStart(reply, x.log, err))
          .finally(resolve);
      },
      onError: (err) => {
        upstreamFailed(x, deps, reply, err, relay);
        resolve();
      },
    });
  });
}

/** GET (listen for server messages) and DELETE (end session) on /mcp/{connection}. */
export async function handleStreamableOther(x: Exchange, deps: ProxyDeps): Promise<void> {
  const { req, res } = x;
  const reply = new ClientReply(res, x.facts, deps.pipeline);
  const op = req.method === 'DELETE' ? 'delete_session' : 'open_stream';
  const refused = await deps.pipeline.httpOperation(op, x.facts);
  if (refused) return reply.error(refused);
  const relay = relayContext(x, deps, reply, { pending: new Map(), onStream: streamTracker(deps, x.connection.name, 'listen') });
  x.upstream.forward(req, res, {
    target: targetOf(x.connection),
    headers: upstreamRequestHeaders(req.headers, x.connection.headers, x.facts.requestId, mcpHeadersFor(x)),
    body: undefined,
    onResponse: (upstream) => relayResponse(upstream, relay).catch((err) => failAfterStart(reply, x.log, err)),
    onError: (err) => upstreamFailed(x, deps, reply, err, relay),
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

/** The upstream could not be reached or timed out: every waiting call gets regate's error. */
export function upstreamFailed(x: Exchange, deps: ProxyDeps, reply: ClientReply, err: RegateError, r: RelayContext): void {
  deps.metrics.upstreamError(x.connection.name, err.code);
  x.log.warn({ code: err.code, detail: err.detail }, 'upstream request failed');
  if (x.res.headersSent && !reply.streaming) {
    if (!x.res.writableEnded) x.res.end();
    return;
  }
  const waiting = [...r.pending.values()];
  r.pending.clear();
  if (r.local.length > 0 && waiting.length === 0) return void reply.messages(200, r.local, r.batch);
  // Keep regate's own replies and add the upstream failure for every forwarded request.
  void reply.error(err, { waiting, local: r.local, batch: r.batch });
}

function failAfterStart(reply: ClientReply, log: Logger, err: unknown): void {
  log.error({ err }, 'relay failed');
  if (!reply.res.headersSent) void reply.error(asRegateError(err));
  else reply.end();
}

/** The client accepts an SSE answer (a held call can then be kept open with keepalives). */
export function acceptsSse(req: IncomingMessage): boolean {
  return (headerValue(req.headers, 'accept') ?? '').toLowerCase().includes('text/event-stream');
}
