/**
 * The transcript buffer: where an event is durably put before its call goes upstream, and where
 * the flusher takes it from. At-least-once: an event leaves the buffer only when `ack` is called
 * for it, which the flusher does after every sink accepted it.
 */
import type { TranscriptEvent } from './event.ts';

/** One buffered event with the buffer's id for it (a Redis stream id, or a sequence number). */
export interface BufferedEvent {
  readonly id: string;
  readonly event: TranscriptEvent;
}

/** Gauges for /metrics and /readyz. */
export interface BufferStats {
  /** Events held (delivered or not) and not yet acknowledged or trimmed. */
  readonly size: number;
  /** Events handed to a flusher and not yet acknowledged. */
  readonly pending: number;
  /** Events not yet handed to any flusher (consumer lag). */
  readonly lag: number;
  /** Age in ms of the oldest unacknowledged event; 0 when none. */
  readonly oldestUnackedAgeMs: number;
}

export interface AuditBuffer {
  /**
   * Durably buffers the events of one client HTTP request in one write (one Redis round trip).
   * Resolves only when they are durable; rejects fast with REGATE_ERR_AUDIT_BUFFER when they cannot
   * be taken (unreachable, stalled past the append timeout, or full), so the call can be refused.
   */
  append(events: readonly TranscriptEvent[]): Promise<void>;
  /**
   * Up to `max` events for this consumer: events another (crashed) consumer left unacknowledged for
   * longer than the claim idle time first, then new ones. Never blocks.
   */
  read(max: number): Promise<BufferedEvent[]>;
  /** Removes delivered events for good. */
  ack(ids: readonly string[]): Promise<void>;
  /** Tells other consumers these events are still being worked on (resets their idle time). */
  touch(ids: readonly string[]): Promise<void>;
  stats(): Promise<BufferStats>;
  /** Releases what the buffer opened itself (not a client it was given). */
  close(): Promise<void>;
}
