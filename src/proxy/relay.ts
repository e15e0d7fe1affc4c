import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RegateError, asRegateError } from '../errors.ts';
import {
  errorResponseFor,
  idKey,
  idOf,
  kindOf,
  parseJsonRpcText,
  type JSONRPCMessage,
  type RequestId,
} from '../mcp/jsonrpc.ts';
import { SseParser, formatSseComment, formatSseEvent } from '../mcp/sse.ts';
import { clientResponseHeaders, headerValue } from './headers.ts';
import type { ExchangeContext, MessageHook, PendingRequest } from './hook.ts';
import type { ProxyMetrics } from './metrics.ts';
import { readAll } from './request-body.ts';
import { mediaType } from './media-type.ts';
import { upstreamParseError, upstreamStatusError } from './upstream-text.ts';
import { sendJson, sendRpcError } from './respond.ts';
import { writeChunk } from './write.ts';

/** Everything the relay needs to deliver one upstream response to the client. */
export interface RelayContext {
  readonly ctx: ExchangeContext;
  readonly hook: MessageHook;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  /** Forwarded requests of this exchange by id key, answered by the response. */
  readonly pending: Map<string, PendingRequest>;
  /** Replies regate produced itself (e.g. denials) that must reach the client with the upstream's. */
  readonly localReplies: readonly JSONRPCMessage[];
  /** The client sent a batch, so a JSON answer must be an array. */
  readonly batch: boolean;
  readonly maxResponseBytes: number;
  readonly maxDepth: number;
  /** Rewrites non-message SSE events (the legacy `endpoint` event); return null to drop. */
  readonly rewriteEvent?: (event: string, data: string) => string | null;
  /** Called when a streamed response starts and ends (open-stream gauge, shutdown tracking). */
  readonly onStream?: (open: boolean, res: ServerResponse) => void;
}

/** Delivers an upstream response to the client, passing every message through the hook. */
export async function relayResponse(upstream: IncomingMessage, res: ServerResponse, r: RelayContext): Promise<void> {
  const status = upstream.statusCode ?? 502;
  const type = mediaType(headerValue(upstream.headers, 'content-type'));

  if (status === 401 || status === 403) {
    // The upstream refused the gateway's own credential: the agent can do nothing about it, and
    // must not see the upstream's challenge.
    upstream.resume();
    const err = new RegateError('REGATE_ERR_UPSTREAM_AUTH', `${r.ctx.connection.name} answered HTTP ${status}`);
    r.metrics.upstreamError(r.ctx.connection.name, err.code);
    return sendJsonRpcErrors(res, err, r);
  }
  if (type === 'text/event-stream') return relaySse(upstream, res, r, status);
  if (type === 'application/json') return relayJson(upstream, res, r, status);

  // No body (202 Accepted for notifications/responses, 204, 405 for an unsupported GET stream...).
  let body: Buffer;
  try {
    body = await readBounded(upstream, 64 * 1024);
  } catch (err) {
    const e = asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    r.metrics.upstreamError(r.ctx.connection.name, e.code);
    return sendJsonRpcErrors(res, e, r, { headers: clientResponseHeaders(upstream.headers) });
  }
  if (body.length === 0 && status < 400 && r.pending.size > 0) {
    // Requests were sent; an empty success is no answer to them.
    const err = unanswered(r);
    r.metrics.upstreamError(r.ctx.connection.name, err.code);
    return sendJsonRpcErrors(res, err, r);
  }
  if (body.length === 0 && status < 400) {
    if (r.localReplies.length > 0) return sendJson(res, 200, r.batch ? r.localReplies : r.localReplies[0], clientResponseHeaders(upstream.headers));
    res.writeHead(status, clientResponseHeaders(upstream.headers));
    res.end();
    return;
  }
  // Anything else is not MCP: keep the status (clients act on 404 / 405), never the raw body.
  const err = upstreamStatusError(r.ctx.connection, r.log, status, body);
  r.metrics.upstreamError(r.ctx.connection.name, err.code);
  sendJsonRpcErrors(res, err, r, { status: status >= 400 ? status : 502, headers: clientResponseHeaders(upstream.headers) });
}

async function relayJson(upstream: IncomingMessage, res: ServerResponse, r: RelayContext, status: number): Promise<void> {
  let text: string;
  let parsed: JSONRPCMessage | JSONRPCMessage[];
  try {
    text = (await readBounded(upstream, r.maxResponseBytes)).toString('utf8');
    parsed = parseJsonRpcText(text, r.maxDepth);
  } catch (err) {
    const e = asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    const wrapped = upstreamParseError(r.ctx.connection, r.log, e);
    r.metrics.upstreamError(r.ctx.connection.name, wrapped.code);
    return sendJsonRpcErrors(res, wrapped, r);
  }
  const delivered: JSONRPCMessage[] = [];
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    const d = await deliver(m, r);
    if (d) delivered.push(d);
  }
  // Requests the answer left unanswered come first: a single request's reply is its error then.
  const missing = r.pending.size > 0 ? answerPending(r, unanswered(r)) : [];
  if (missing.length > 0) r.metrics.upstreamError(r.ctx.connection.name, 'REGATE_ERR_UPSTREAM_PROTOCOL');
  const out = [...r.localReplies, ...missing, ...delivered];
  if (out.length === 0) {
    res.writeHead(202, clientResponseHeaders(upstream.headers));
    res.end();
    return;
  }
  sendJson(res, status, r.batch || Array.isArray(parsed) ? out : out[0], clientResponseHeaders(upstream.headers));
}

async function relaySse(upstream: IncomingMessage, res: ServerResponse, r: RelayContext, status: number): Promise<void> {
  const headers = clientResponseHeaders(upstream.headers);
  headers['cache-control'] = 'no-cache, no-transform';
  headers['x-accel-buffering'] = 'no';
  res.writeHead(status, headers);
  res.flushHeaders();
  r.onStream?.(true, res);
  const parser = new SseParser(r.maxResponseBytes);
  let failure: RegateError | undefined;
  let resumable = false;
  try {
    for (const m of r.localReplies) {
      if (!(await writeChunk(res, formatSseEvent({ event: 'message', data: JSON.stringify(m) })))) return;
    }
    await eachChunk(upstream, async (chunk) => {
      for (const item of parser.push(chunk)) {
        if (item.type !== 'comment' && item.id !== undefined) resumable = true;
        let frame: string | null;
        if (item.type === 'comment') {
          frame = formatSseComment(item.text); // keepalives keep idle proxies from closing the stream
        } else if (item.event === undefined || item.event === 'message') {
          frame = await sseMessage(item.data, item.id, item.retry, r);
        } else if (r.rewriteEvent) {
          const data = r.rewriteEvent(item.event, item.data);
          frame = data === null ? null : formatSseEvent({ event: item.event, data, id: item.id, retry: item.retry });
        } else {
          r.log.warn({ event: item.event }, 'dropped SSE event of unknown type from upstream');
          frame = null;
        }
        if (frame !== null && !(await writeChunk(res, frame))) return false;
      }
      return true;
    });
  } catch (err) {
    failure = asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    if (!res.destroyed) r.log.warn({ err: failure, code: failure.code }, 'upstream SSE stream failed');
  }
  try {
    // Tell every request still waiting on this stream why it will not be answered: the stream
    // broke off, or the upstream ended it without answering. A stream with event ids is
    // resumable (the client may fetch the answers with Last-Event-ID), so its clean end is not.
    if (!res.destroyed && r.pending.size > 0 && (failure !== undefined || !resumable)) {
      const e = failure ?? unanswered(r);
      r.metrics.upstreamError(r.ctx.connection.name, e.code);
      for (const m of answerPending(r, e)) {
        if (!(await writeChunk(res, formatSseEvent({ event: 'message', data: JSON.stringify(m) })))) break;
      }
    } else if (failure !== undefined && !res.destroyed) {
      r.metrics.upstreamError(r.ctx.connection.name, failure.code);
    }
  } finally {
    r.onStream?.(false, res);
    if (!res.writableEnded) res.end();
  }
}

async function sseMessage(data: string, id: string | undefined, retry: number | undefined, r: RelayContext): Promise<string | null> {
  let parsed: JSONRPCMessage | JSONRPCMessage[];
  try {
    parsed = parseJsonRpcText(data, r.maxDepth);
  } catch (err) {
    // Fail closed: content regate cannot parse cannot be inspected, so it is not delivered.
    r.metrics.upstreamError(r.ctx.connection.name, 'REGATE_ERR_UPSTREAM_PROTOCOL');
    upstreamParseError(r.ctx.connection, r.log, asRegateError(err, 'REGATE_ERR_UPSTREAM_PROTOCOL')); // logs why it was dropped
    return null;
  }
  const out: JSONRPCMessage[] = [];
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    const delivered = await deliver(m, r);
    if (delivered) out.push(delivered);
  }
  if (out.length === 0) return null;
  return formatSseEvent({ event: 'message', data: JSON.stringify(Array.isArray(parsed) ? out : out[0]), id, retry });
}

/** Passes one server message through the hook; on hook failure the client gets an error, not the message. */
async function deliver(m: JSONRPCMessage, r: RelayContext): Promise<JSONRPCMessage | null> {
  const kind = kindOf(m);
  const id = idOf(m);
  let request: PendingRequest | undefined;
  if ((kind === 'response' || kind === 'error') && id !== undefined) {
    request = r.pending.get(idKey(id));
    r.pending.delete(idKey(id));
  }
  r.metrics.message(r.ctx.connection.name, 'server', 'method' in m ? m.method : kind);
  try {
    return await r.hook.onServerMessage(r.ctx, m, request);
  } catch (err) {
    const e = asRegateError(err);
    r.log.error({ err: e, code: e.code }, 'message hook failed on a server message');
    return id !== undefined && kind !== 'request' ? (errorResponseFor(id, e) as JSONRPCMessage) : null;
  }
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

/** Answers every pending request of the exchange with the same error (plus any local replies). */
function sendJsonRpcErrors(res: ServerResponse, err: RegateError, r: RelayContext, extra: { status?: number; headers?: OutgoingHttpHeaders } = {}): void {
  sendRpcError(res, err, { ...extra, ids: pendingIds(r.pending), local: r.localReplies, batch: r.batch });
}

/** The error an agent gets for a request the upstream finished without answering. */
function unanswered(r: RelayContext): RegateError {
  return new RegateError('REGATE_ERR_UPSTREAM_PROTOCOL', `${r.ctx.connection.name} ended its answer without a response to this request; retry it`);
}

/** Error responses for every request still waiting, which are then no longer waiting. */
function answerPending(r: RelayContext, err: RegateError): JSONRPCMessage[] {
  const out = [...r.pending.values()].map((p) => errorResponseFor(idOf(p.message)!, err) as JSONRPCMessage);
  r.pending.clear();
  return out;
}

/** Ids of the forwarded requests still waiting for an answer. */
export function pendingIds(pending: ReadonlyMap<string, PendingRequest>): RequestId[] {
  return [...pending.values()].map((p) => idOf(p.message)).filter((id): id is RequestId => id !== undefined);
}
