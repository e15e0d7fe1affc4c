import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RegateError } from '../errors.ts';
import { errorResponseFor, idOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import { formatSseComment, formatSseEvent } from '../mcp/sse.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import type { Outgoing, Pipeline } from '../pipeline/compose.ts';
import { sendJsonText } from './respond.ts';
import { writeChunk } from './write.ts';

/**
 * The responder: the one way anything reaches the client of an MCP exchange, the upstream's
 * messages and regate's own answers alike (refusals, protocol errors, upstream failures, answers
 * to requests the upstream left unanswered). Every message goes through `pipeline.delivered`
 * exactly once on its way out, so recording sees all the client sees, by construction.
 *
 * An answer is either one JSON body (written once, at the end) or an SSE stream (opened once,
 * messages written as they come). A held call opens the stream at once and several upstream
 * answers are then framed into it: `parts` counts the answers still to come, and the stream ends
 * when the last one is done.
 */
export class ClientReply {
  readonly #res: ServerResponse;
  readonly #facts: ExchangeFacts;
  readonly #pipeline: Pipeline;
  #streaming = false;
  #parts = 1;
  #onStream: ((open: boolean, res: ServerResponse) => void) | undefined;

  constructor(res: ServerResponse, facts: ExchangeFacts, pipeline: Pipeline) {
    this.#res = res;
    this.#facts = facts;
    this.#pipeline = pipeline;
  }

  get res(): ServerResponse {
    return this.#res;
  }
  /** True once the answer is an open SSE stream. */
  get streaming(): boolean {
    return this.#streaming;
  }
  /** The client went away or the answer is complete: nothing more can be written. */
  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** Several upstream answers will be framed into this one stream; it ends after the last. */
  expectParts(n: number): void {
    this.#parts = n;
  }

  /** Opens the answer as an SSE stream (once; later calls do nothing). */
  openStream(status: number, headers: OutgoingHttpHeaders, onStream?: (open: boolean, res: ServerResponse) => void): void {
    if (this.#streaming || this.#res.headersSent) return;
    this.#streaming = true;
    this.#onStream = onStream;
    headers['content-type'] = 'text/event-stream';
    headers['cache-control'] = 'no-cache, no-transform';
    headers['x-accel-buffering'] = 'no';
    this.#res.writeHead(status, headers);
    this.#res.flushHeaders();
    onStream?.(true, this.#res);
  }

  /** Writes one message as an SSE event; resolves false when the client has gone away. */
  async event(o: Outgoing, id?: string, retry?: number): Promise<boolean> {
    if (this.closed) return false;
    const json = JSON.stringify(o.message);
    this.#pipeline.delivered(o.message, o.call, this.#facts, json);
    return writeChunk(this.#res, formatSseEvent({ event: 'message', data: json, id, retry }));
  }

  /** Several messages the upstream sent as one SSE event (a JSON array), kept as one event. */
  async eventBatch(outs: readonly Outgoing[], id?: string, retry?: number): Promise<boolean> {
    if (this.closed) return false;
    return writeChunk(this.#res, formatSseEvent({ event: 'message', data: this.#deliver(outs, true), id, retry }));
  }

  /** An SSE comment (keepalive). */
  comment(text: string): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : writeChunk(this.#res, formatSseComment(text));
  }

  /** A non-message SSE event (the legacy transport's `endpoint`), never a JSON-RPC message. */
  rawEvent(event: string, data: string, id?: string, retry?: number): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : writeChunk(this.#res, formatSseEvent({ event, data, id, retry }));
  }

  /**
   * Delivers a complete set of messages: one JSON body (an array when `asArray`), 202 when there
   * are none; on an open stream, one event each, and this part is done.
   */
  async messages(status: number, outs: readonly Outgoing[], asArray: boolean, headers: OutgoingHttpHeaders = {}): Promise<void> {
    if (this.#streaming) {
      for (const o of outs) if (!(await this.event(o))) break;
      this.partDone();
      return;
    }
    if (outs.length === 0) {
      if (!this.#res.headersSent) this.#res.writeHead(202, headers);
      this.#res.end();
      return;
    }
    sendJsonText(this.#res, status, this.#deliver(outs, asArray), headers);
  }

  /**
   * Shows each message to the pipeline with its JSON and returns the body those JSON texts make
   * (an array when `asArray`): each message is serialized once, for the client and the recording
   * alike. An array's JSON is its elements' JSON joined with commas, as JSON.stringify writes it.
   */
  #deliver(outs: readonly Outgoing[], asArray: boolean): string {
    const texts: string[] = [];
    for (const o of outs) {
      const json = JSON.stringify(o.message);
      this.#pipeline.delivered(o.message, o.call, this.#facts, json);
      texts.push(json);
    }
    return asArray ? `[${texts.join(',')}]` : texts[0]!;
  }

  /**
   * regate's own error: the replies regate already has plus the same error for every call still
   * waiting (or one error with id null when there is nothing else), mirroring a batch as an array.
   */
  error(err: RegateError, o: { waiting?: readonly CallRecord[]; local?: readonly Outgoing[]; batch?: boolean; status?: number; headers?: OutgoingHttpHeaders } = {}): Promise<void> {
    const outs: Outgoing[] = [...(o.local ?? []), ...errorsFor(o.waiting ?? [], err)];
    const none = outs.length === 0;
    if (none) outs.push({ message: errorResponseFor(null, err) as JSONRPCMessage });
    return this.messages(o.status ?? err.status, outs, o.batch === true && !none, o.headers);
  }

  /** One upstream answer framed into the stream is complete; the last one ends the stream. */
  partDone(): void {
    if (--this.#parts > 0) return;
    this.end();
  }

  /** Ends the answer now (the stream's bookkeeping included). */
  end(): void {
    if (this.#streaming) {
      const onStream = this.#onStream;
      this.#onStream = undefined;
      onStream?.(false, this.#res);
    }
    if (!this.#res.writableEnded) this.#res.end();
  }
}

/** The same error for each waiting call, as messages the client receives. */
export function errorsFor(calls: readonly CallRecord[], err: RegateError): Outgoing[] {
  const out: Outgoing[] = [];
  for (const call of calls) {
    const id = idOf(call.message);
    if (id !== undefined) out.push({ message: errorResponseFor(id, err) as JSONRPCMessage, call });
  }
  return out;
}
