import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RegateError, asRegateError } from '../errors.ts';
import { idKey, idOf, kindOf, parseJsonRpcText, type JSONRPCMessage, type RequestId } from '../mcp/jsonrpc.ts';
import { SseParser } from '../mcp/sse.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import { newCallRecord, type Outgoing, type Pipeline } from '../pipeline/compose.ts';
import type { UpstreamReply } from '../pipeline/stage.ts';
import { errorsFor, type ClientReply } from './client-reply.ts';
import { clientResponseHeaders, headerValue } from './headers.ts';
import type { ProxyMetrics } from './metrics.ts';
import { readAll } from './request-body.ts';
import { learnToolHeaders } from './tool-headers.ts';
import { mediaType } from './media-type.ts';
import { upstreamParseError, upstreamStatusError } from './upstream-text.ts';

/** Everything the relay needs to deliver one upstream response to the client. */
export interface RelayContext {
  readonly facts: ExchangeFacts;
  readonly pipeline: Pipeline;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  /** Forwarded requests of this exchange by id key, waiting for their answers. */
  readonly pending: Map<string, CallRecord>;
  /** Replies regate produced itself (e.g. denials) that must reach the client with the upstream's. */
  readonly local: readonly Outgoing[];
  /** The client sent a batch, so a JSON answer must be an array. */
  readonly batch: boolean;
  readonly maxResponseBytes: number;
  readonly maxDepth: number;
  /** Where the client's answer goes. */
  readonly reply: ClientReply;
  /** How a stage answers a server request it refused. */
  readonly upstreamReply: UpstreamReply;
  /** Rewrites non-message SSE events (the legacy `endpoint` event); return null to drop. */
  readonly rewriteEvent?: (event: string, data: string) => string | null;
  /** Called when a streamed response starts and ends (open-stream gauge, shutdown tracking). */
  readonly onStream?: (open: boolean, res: ServerResponse) => void;
}

/** Delivers an upstream response to the client, passing every message through the pipeline. */
export async function relayResponse(upstream: IncomingMessage, r: RelayContext): Promise<void> {
  const status = upstream.statusCode ?? 502;
  const type = mediaType(headerValue(upstream.headers, 'content-type'));

  if (status === 401 || status === 403) {
    // The upstream refused the gateway's own credential: the agent can do nothing about it, and
    // must not see the upstream's challenge.
    upstream.resume();
    const err = new RegateError('REGATE_ERR_UPSTREAM_AUTH', `${r.facts.connection.name} answered HTTP ${status}`);
    r.metrics.upstreamError(r.facts.connection.name, err.code);
    return answerAllWith(err, r);
  }
  if (type === 'text/event-stream') return relaySse(upstream, r, status);
  if (type === 'application/json') return relayJson(upstream, r, status);

  // No body (202 Accepted for notifications/responses, 204, 405 for an unsupported GET stream...).
  let body: Buffer;
  try {
    body = await readBounded(upstream, 64 * 1024);
  } catch (err) {
    const e = asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    r.metrics.upstreamError(r.facts.connection.name, e.code);
    return answerAllWith(e, r, { headers: clientResponseHeaders(upstream.headers) });
  }
  if (body.length === 0 && status < 400 && r.pending.size > 0) {
    // Requests were sent; an empty success is no answer to them.
    const err = unanswered(r);
    r.metrics.upstreamError(r.facts.connection.name, err.code);
    return answerAllWith(err, r);
  }
  if (body.length === 0 && status < 400) {
    if (r.local.length > 0) return r.reply.messages(200, r.local, r.batch, clientResponseHeaders(upstream.headers));
    if (r.reply.streaming) return r.reply.partDone();
    r.reply.res.writeHead(status, clientResponseHeaders(upstream.headers));
    r.reply.res.end();
    return;
  }
  // Anything else is not MCP: keep the status (clients act on 404 / 405), never the raw body.
  const err = upstreamStatusError(r.facts.connection, r.log, status, body);
  r.metrics.upstreamError(r.facts.connection.name, err.code);
  return answerAllWith(err, r, { status: status >= 400 ? status : 502, headers: clientResponseHeaders(upstream.headers) });
}

async function relayJson(upstream: IncomingMessage, r: RelayContext, status: number): Promise<void> {
  let parsed: JSONRPCMessage | JSONRPCMessage[];
  let bytes = 0;
  try {
    const body = await readBounded(upstream, r.maxResponseBytes);
    bytes = body.length;
    parsed = parseJsonRpcText(body.toString('utf8'), r.maxDepth);
  } catch (err) {
    const e = asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    const wrapped = upstreamParseError(r.facts.connection, r.log, e);
    r.metrics.upstreamError(r.facts.connection.name, wrapped.code);
    return answerAllWith(wrapped, r);
  }
  const delivered: Outgoing[] = [];
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    const d = await fromServer(m, r, bytes);
    if (d) delivered.push(d);
  }
  // Requests the answer left unanswered come first: a single request's reply is its error then.
  const missing = r.pending.size > 0 ? answerPending(r, unanswered(r)) : [];
  if (missing.length > 0) r.metrics.upstreamError(r.facts.connection.name, 'REGATE_ERR_UPSTREAM_PROTOCOL');
  const out = [...r.local, ...missing, ...delivered];
  return r.reply.messages(status, out, r.batch || Array.isArray(parsed), clientResponseHeaders(upstream.headers));
}

async function relaySse(upstream: IncomingMessage, r: RelayContext, status: number): Promise<void> {
  // Answers of several upstream requests framed into one held stream lose their event ids: they
  // belong to different upstream streams, so a client could not resume with them.
  const merged = r.reply.streaming;
  r.reply.openStream(status, clientResponseHeaders(upstream.headers), r.onStream);
  const parser = new SseParser(r.maxResponseBytes);
  let failure: RegateError | undefined;
  let resumable = false;
  try {
    for (const o of r.local) if (!(await r.reply.event(o))) return;
    await eachChunk(upstream, async (chunk) => {
      for (const item of parser.push(chunk)) {
        let ok = true;
        if (item.type === 'comment') {
          // Keepalives keep idle proxies from closing the stream; their text is the upstream's own
          // (it could carry anything, unmasked and unrecorded), so regate sends its own.
          ok = await r.reply.comment(' keepalive');
        } else {
          const id = merged ? undefined : safeEventId(item.id);
          if (id !== undefined) resumable = true;
          if (item.event === undefined || item.event === 'message') {
            ok = await sseMessage(item.data, id, item.retry, r);
          } else if (r.rewriteEvent) {
            const data = r.rewriteEvent(item.event, item.data);
            if (data !== null) ok = await r.reply.rawEvent(item.event, data, id, item.retry);
          } else {
            r.log.warn({ event: item.event }, 'dropped SSE event of unknown type from upstream');
          }
        }
        if (!ok) return false;
      }
      return true;
    });
  } catch (err) {
    failure = asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    if (!r.reply.closed) r.log.warn({ err: failure, code: failure.code }, 'upstream SSE stream failed');
  }
  try {
    // Tell every request still waiting on this stream why it will not be answered: the stream
    // broke off, or the upstream ended it without answering. A stream with event ids is
    // resumable (the client may fetch the answers with Last-Event-ID), so its clean end is not.
    if (!r.reply.closed && r.pending.size > 0 && (failure !== undefined || !resumable)) {
      const e = failure ?? unanswered(r);
      r.metrics.upstreamError(r.facts.connection.name, e.code);
      for (const o of answerPending(r, e)) if (!(await r.reply.event(o))) break;
    } else if (failure !== undefined && !r.reply.closed) {
      r.metrics.upstreamError(r.facts.connection.name, failure.code);
    }
  } finally {
    r.reply.partDone();
  }
}

/**
 * An upstream event id the client may see: short and of plain characters (what SDK servers use:
 * UUIDs, counters, `stream_event` pairs). Anything else could carry content past masking and
 * recording, so it is dropped (the client then cannot resume that stream from it).
 */
function safeEventId(id: string | undefined): string | undefined {
  return id !== undefined && id.length <= 128 && /^[A-Za-z0-9._:\/+=-]*$/.test(id) ? id : undefined;
}

/** One SSE `message` event: each JSON-RPC message in it through the pipeline, then to the client. */
async function sseMessage(data: string, id: string | undefined, retry: number | undefined, r: RelayContext): Promise<boolean> {
  let parsed: JSONRPCMessage | JSONRPCMessage[];
  try {
    parsed = parseJsonRpcText(data, r.maxDepth);
  } catch (err) {
    // Fail closed: content regate cannot parse cannot be inspected, so it is not delivered.
    r.metrics.upstreamError(r.facts.connection.name, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    upstreamParseError(r.facts.connection, r.log, asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL')); // logs why it was dropped
    return true;
  }
  if (!Array.isArray(parsed)) {
    const o = await fromServer(parsed, r, data.length);
    return o === null ? true : r.reply.event(o, id, retry);
  }
  const out: Outgoing[] = [];
  for (const m of parsed) {
    const o = await fromServer(m, r, data.length);
    if (o) out.push(o);
  }
  return out.length === 0 ? true : r.reply.eventBatch(out, id, retry);
}

/** Passes one server message through the pipeline, tied to the request it answers when it can be. */
/** `bytes`: the size of the text the message came in (its JSON body or SSE event), an upper bound for one of a batch. */
async function fromServer(m: JSONRPCMessage, r: RelayContext, bytes: number): Promise<Outgoing | null> {
  const kind = kindOf(m);
  const id = idOf(m);
  let call: CallRecord | undefined;
  if ((kind === 'response' || kind === 'error') && id !== undefined) {
    call = r.pending.get(idKey(id));
    r.pending.delete(idKey(id));
    if (call !== undefined) call.timings.answeredNs ??= process.hrtime.bigint();
    // The upstream's own declarations, before any filtering: what its tools require as headers.
    if (call?.method === 'tools/list' && 'result' in m) learnToolHeaders(r.facts.connection, m.result);
  }
  // What the upstream sends of its own accord gets a record of its own (server_to_client).
  const record = call ?? newCallRecord(r.facts, m, 'server_to_client');
  const out = await r.pipeline.fromServer(m, record, r.facts, r.upstreamReply, bytes);
  return out === null ? null : { message: out, call: record };
}

/**
 * Hands a stream's chunks to `fn` one at a time, in order: the stream is paused while `fn` works
 * (so a slow client slows the upstream read), resumed when it is done. Resolves at the end of the
 * stream; when `fn` answers false (the client went away) or fails, or the stream breaks off, the
 * stream is destroyed and the promise settles at once. What `for await` does, without an async
 * iterator and its promise per chunk on every SSE answer.
 */
export function eachChunk(stream: IncomingMessage, fn: (chunk: Buffer) => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let busy = false;
    let ended = false;
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', settle);
      stream.off('close', onClose);
      if (!ended) stream.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      stream.pause();
      busy = true;
      fn(chunk).then(
        (more) => {
          busy = false;
          if (!more) return settle();
          if (ended) settle();
          else if (!settled) stream.resume();
        },
        (err: unknown) => settle(err ?? new Error('relay failed')),
      );
    };
    const onEnd = () => {
      ended = true;
      if (!busy) settle();
    };
    // 'close' without 'end': the upstream broke off mid-stream.
    const onClose = () => {
      if (!ended) settle(Object.assign(new Error('upstream stream ended prematurely'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', settle);
    stream.on('close', onClose);
  });
}

/** Reads a whole body, refusing more than `limit` bytes. */
export function readBounded(stream: IncomingMessage, limit: number): Promise<Buffer> {
  return readAll(stream, limit, () => new RegateError('REGATE_ERR_UPSTREAM_TOO_LARGE', `more than ${limit} bytes`), false);
}

/** Answers every request still waiting with the same error (plus regate's own replies). */
function answerAllWith(err: RegateError, r: RelayContext, extra: { status?: number; headers?: OutgoingHttpHeaders } = {}): Promise<void> {
  const waiting = [...r.pending.values()];
  r.pending.clear();
  return r.reply.error(err, { ...extra, waiting, local: r.local, batch: r.batch });
}

/** The error an agent gets for a request the upstream finished without answering. */
function unanswered(r: RelayContext): RegateError {
  return new RegateError('REGATE_ERR_UPSTREAM_PROTOCOL', `${r.facts.connection.name} ended its answer without a response to this request; retry it`);
}

/** Error answers for every request still waiting, which are then no longer waiting. */
function answerPending(r: RelayContext, err: RegateError): Outgoing[] {
  const out = errorsFor([...r.pending.values()], err);
  r.pending.clear();
  return out;
}

/** Ids of the forwarded requests still waiting for an answer. */
export function pendingIds(pending: ReadonlyMap<string, CallRecord>): RequestId[] {
  return [...pending.values()].map((c) => idOf(c.message)).filter((id): id is RequestId => id !== undefined);
}
