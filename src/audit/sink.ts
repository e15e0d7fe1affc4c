/**
 * Where transcript events end up (a JSON-lines file, Log Analytics). A sink's `write` resolves only
 * when the destination accepted every event of the batch; the flusher acknowledges the buffer after
 * that, and retries (the same events, the same event ids) when it rejects.
 */
import type { TranscriptEvent } from './event.ts';

export interface AuditSink {
  readonly name: string;
  write(events: readonly TranscriptEvent[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A failed write, with what the destination said about retrying. */
export class SinkError extends Error {
  readonly sink: string;
  /** HTTP status of the refusal, when there was one. */
  readonly status: number | undefined;
  /** The destination's Retry-After, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(sink: string, message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'SinkError';
    this.sink = sink;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Parses Retry-After (delta seconds or an HTTP date) or retry-after-ms into milliseconds. */
export function parseRetryAfter(headers: { get(name: string): string | undefined | null }, now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = Number(headers.get(name));
    if (headers.get(name) && Number.isFinite(v) && v >= 0) return v;
  }
  const raw = headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
