/**
 * The transcript flusher (a Component): takes events from the buffer in batches (by count and by
 * time), keeps every upload under 1 MB, writes each batch to every sink and acknowledges it in the
 * buffer only after all of them accepted it. A failing sink is retried with backoff, honouring
 * its Retry-After, for as long as it takes: the events wait in the buffer, not in a drop counter.
 * On stop it keeps delivering until the buffer is empty or the deadline passes; whatever is
 * unacknowledged then stays in the buffer for the next start (or, on Redis, another instance).
 *
 * Delivery is at-least-once: a batch is written again after a failure that happened after a sink
 * had in fact stored it (a lost response, a crash before the ack), and those copies carry the same
 * event_id (docs/recording.md has the KQL that dedupes on it).
 */
import type { Component, ComponentStatus } from '../components/component.ts';
import { backoffDelay } from '../util/backoff.ts';
import { shrinkEvent } from './oversize.ts';
import type { AuditBuffer, BufferedEvent } from './buffer.ts';
import { eventJson } from './event.ts';
import { SinkError, type AuditSink } from './sink.ts';

export interface FlusherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FlusherOptions {
  readonly batchMaxEvents: number;
  readonly flushIntervalMs: number;
  /** JSON size limit of one upload (the Logs Ingestion API refuses more than 1 MB). */
  readonly maxBatchBytes?: number;
  /** Backoff of the flusher's own retries (beyond the SDK's). */
  readonly retryBaseMs?: number;
  readonly retryMaxMs: number;
  /** While retrying, events are re-claimed this often so no other instance takes them over. */
  readonly touchIntervalMs?: number;
  /** How long an idle flusher waits before looking at the buffer again. */
  readonly pollMs?: number;
  readonly log: FlusherLogger;
}

/** Counters for /metrics. */
export interface FlusherCounters {
  delivered: number;
  batches: number;
  failedAttempts: number;
}

/** Default upload limit: well under the service's 1 MB, leaving room for the array's brackets and commas. */
export const DEFAULT_MAX_BATCH_BYTES = 900_000;

/** Splits a batch into runs whose JSON array stays within `maxBytes` (an event alone is never split). */
export function chunkByBytes(batch: readonly BufferedEvent[], maxBytes: number): BufferedEvent[][] {
  const chunks: BufferedEvent[][] = [];
  let chunk: BufferedEvent[] = [];
  let size = 2;
  for (const b of batch) {
    const bytes = Buffer.byteLength(eventJson(b.event)) + 1;
    if (chunk.length > 0 && size + bytes > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 2;
    }
    chunk.push(b);
    size += bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

interface Failing {
  readonly sink: string;
  readonly since: string;
  attempts: number;
  lastError: string;
}

export class AuditFlusher implements Component {
  readonly name = 'audit';
  readonly counters: FlusherCounters = { delivered: 0, batches: 0, failedAttempts: 0 };
  readonly #buffer: AuditBuffer;
  readonly #sinks: readonly AuditSink[];
  readonly #o: FlusherOptions;
  #started = false;
  #stopping = false;
  #deadline = Infinity;
  #loop: Promise<void> | undefined;
  #abort = new AbortController();
  #wake: (() => void) | undefined;
  #failing: Failing | undefined;
  #bufferError: string | undefined;

  constructor(buffer: AuditBuffer, sinks: readonly AuditSink[], options: FlusherOptions) {
    this.#buffer = buffer;
    this.#sinks = sinks;
    this.#o = options;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#loop = this.#run().catch((err: unknown) => {
      this.#o.log.error({ err }, 'transcript flusher stopped unexpectedly');
    });
  }

  /** Delivers what it can before `deadlineMs` elapses, then aborts the upload in flight. */
  async stop(deadlineMs: number): Promise<void> {
    if (!this.#started) return;
    this.#stopping = true;
    this.#deadline = Date.now() + deadlineMs;
    this.#wake?.();
    const timer = setTimeout(() => {
      this.#abort.abort(new Error('transcript flusher stop deadline reached'));
      this.#wake?.();
    }, deadlineMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
      await Promise.allSettled(this.#sinks.map((s) => s.close()));
    }
  }

  status(): ComponentStatus {
    if (!this.#started || this.#stopping) return { state: 'NOT_READY', message: this.#stopping ? 'stopping' : 'not started' };
    if (this.#failing !== undefined || this.#bufferError !== undefined) {
      // Degraded, not down: the buffer holds the events and calls are still recorded, so this must
      // not take every replica out of the load balancer.
      const f = this.#failing;
      return {
        state: 'DEGRADED',
        message:
          f !== undefined
            ? `degraded: sink ${f.sink} failing since ${f.since} (${f.attempts} attempts: ${f.lastError}); events wait in the buffer`
            : `degraded: transcript buffer unreadable (${this.#bufferError ?? ''}); events wait in the buffer`,
        details: { degraded: true, ...(f !== undefined ? { sink: f.sink, since: f.since, attempts: f.attempts } : {}) },
      };
    }
    return { state: 'OK', details: { sinks: this.#sinks.map((s) => s.name) } };
  }

  #timeLeft(): number {
    return this.#deadline - Date.now();
  }

  /** Sleeps up to `ms`, waking early on stop. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, Math.min(ms, this.#timeLeft())));
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    const poll = this.#o.pollMs ?? Math.min(100, this.#o.flushIntervalMs);
    while (!this.#abort.signal.aborted) {
      if (this.#stopping && this.#timeLeft() <= 0) return;
      const batch = await this.#collect(poll);
      if (batch.length === 0) {
        if (this.#stopping) return; // drained
        await this.#sleep(poll);
        continue;
      }
      const max = this.#o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
      for (const chunk of chunkByBytes(batch, max)) {
        if (!(await this.#deliver(chunk, [...this.#sinks]))) return; // stop deadline reached
      }
    }
  }

  /** Reads up to batch_max_events, waiting up to flush_interval_ms for a partial batch to fill. */
  async #collect(poll: number): Promise<BufferedEvent[]> {
    const batch: BufferedEvent[] = [];
    const seen = new Set<string>();
    const started = Date.now();
    let attempt = 0;
    for (;;) {
      let got: BufferedEvent[];
      try {
        got = await this.#buffer.read(this.#o.batchMaxEvents - batch.length);
        this.#bufferError = undefined;
      } catch (err) {
        this.#bufferError = (err as Error).message;
        this.#o.log.warn({ err }, 'transcript buffer read failed; retrying');
        if (batch.length > 0 || this.#stopping) return batch;
        await this.#sleep(backoffDelay(++attempt, { baseMs: 200, maxMs: this.#o.retryMaxMs }));
        continue;
      }
      for (const b of got) {
        if (!seen.has(b.id)) {
          seen.add(b.id);
          batch.push(b);
        }
      }
      if (batch.length === 0 || batch.length >= this.#o.batchMaxEvents || this.#stopping) return batch;
      const left = this.#o.flushIntervalMs - (Date.now() - started);
      if (left <= 0) return batch;
      if (got.length === 0) await this.#sleep(Math.min(poll, left));
    }
  }

  /**
   * Writes one chunk to every sink in `sinks`, retrying each failing sink until it accepts, then
   * acknowledges the chunk. False when the stop deadline passed first (the chunk stays unacknowledged).
   */
  async #deliver(chunk: BufferedEvent[], sinks: AuditSink[]): Promise<boolean> {
    const events = chunk.map((b) => b.event);
    const ids = chunk.map((b) => b.id);
    let attempt = 0;
    let shrunk = false;
    let lastTouch = Date.now();
    const touchEvery = this.#o.touchIntervalMs ?? 10_000;
    for (;;) {
      const failed: { sink: AuditSink; err: SinkError }[] = [];
      for (const sink of sinks) {
        try {
          await sink.write(events, this.#abort.signal);
        } catch (err) {
          failed.push({ sink, err: err instanceof SinkError ? err : new SinkError(sink.name, (err as Error).message, { cause: err }) });
        }
      }
      if (failed.length === 0) break;
      if (this.#abort.signal.aborted) return false;
      // A 413 means the service counts the batch larger than we did: halve it, never drop it.
      const tooLarge = failed.find((f) => f.err.status === 413);
      if (tooLarge !== undefined && chunk.length > 1) {
        const half = Math.ceil(chunk.length / 2);
        const rest = failed.map((f) => f.sink);
        return (await this.#deliver(chunk.slice(0, half), rest)) && (await this.#deliver(chunk.slice(half), rest));
      }
      if (tooLarge !== undefined && !shrunk) {
        // One event too large on its own: retrying it as it is would wedge every event behind it.
        // It goes out cut to size (same event_id), once; the sinks that took it whole keep theirs.
        shrunk = true;
        sinks = failed.map((f) => f.sink);
        events[0] = shrinkEvent(events[0]!);
        this.#o.log.warn({ event_id: events[0]!.event_id }, 'transcript event refused as too large on its own; delivering it cut to size');
        continue;
      }
      sinks = failed.map((f) => f.sink);
      attempt++;
      this.counters.failedAttempts++;
      const first = failed[0] as { sink: AuditSink; err: SinkError };
      this.#failing ??= { sink: first.sink.name, since: new Date().toISOString(), attempts: 0, lastError: '' };
      this.#failing.attempts = attempt;
      this.#failing.lastError = first.err.message;
      const delay = Math.max(
        first.err.retryAfterMs ?? 0,
        backoffDelay(attempt, { baseMs: this.#o.retryBaseMs ?? 500, maxMs: this.#o.retryMaxMs }),
      );
      if (attempt === 1 || attempt % 10 === 0) {
        this.#o.log.warn({ sink: first.sink.name, attempt, delay_ms: delay, events: chunk.length, err: first.err.message }, 'transcript upload failed; retrying');
      }
      if (this.#stopping && this.#timeLeft() <= delay) return false;
      if (Date.now() - lastTouch >= touchEvery) {
        lastTouch = Date.now();
        await this.#buffer.touch(ids).catch(() => undefined);
      }
      await this.#sleep(delay);
      if (this.#stopping && this.#timeLeft() <= 0) return false;
    }
    await this.#ack(ids);
    this.counters.delivered += chunk.length;
    this.counters.batches++;
    if (this.#failing !== undefined) {
      this.#o.log.info({ sink: this.#failing.sink, attempts: this.#failing.attempts }, 'transcript upload recovered');
      this.#failing = undefined;
    }
    return true;
  }

  /** An ack that fails only means the events are delivered again (same event_id): retry a little. */
  async #ack(ids: string[]): Promise<void> {
    for (let i = 1; i <= 3; i++) {
      try {
        await this.#buffer.ack(ids);
        return;
      } catch (err) {
        if (i === 3) this.#o.log.warn({ err, events: ids.length }, 'transcript ack failed; these events will be delivered again');
        else await this.#sleep(100 * i);
      }
    }
  }
}
