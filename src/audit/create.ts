/**
 * Builds session recording from `config.audit`: the buffer (Redis Streams when a Redis client or
 * URL is given, otherwise memory + spill file), the sinks, the flusher component, the event
 * builders and the gauges for /metrics. Only the composition root calls this.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Component } from '../components/component.ts';
import { RegateError } from '../errors.ts';
import type { AuditBuffer, BufferStats } from './buffer.ts';
import { createEventBuilders, type EventBuilderOptions, type EventBuilders } from './build-events.ts';
import type { AuditConfig } from './config.ts';
import type { TranscriptEvent } from './event.ts';
import { FileSink } from './file-sink.ts';
import { AuditFlusher, type FlusherCounters, type FlusherLogger } from './flusher.ts';
import { createCredential, LogAnalyticsSink, type AzureClientOptions } from './log-analytics-sink.ts';
import { MemoryFileBuffer } from './memory-file-buffer.ts';
import { RedisStreamBuffer } from './redis-stream-buffer.ts';
import type { AuditSink } from './sink.ts';

export interface AuditDeps {
  /** Redis for the shared buffer: a client (not closed here) or a URL, and the key prefix. */
  readonly redis?: { readonly client?: Redis; readonly url?: string; readonly prefix: string };
  readonly log: FlusherLogger;
  /** Relative paths (file sink, spill file) resolve against this. */
  readonly baseDir: string;
  /** Azure SDK options for the credential and the ingestion client (tests: a fake's CA). */
  readonly azure?: AzureClientOptions;
  /** Masks what an agent sent before it is recorded (EventBuilderOptions.maskArguments). */
  readonly maskArguments?: EventBuilderOptions['maskArguments'];
  /** Consumer name in the Redis group (default host-pid-random). */
  readonly consumer?: string;
}

export interface AuditMetrics {
  /** Buffer gauges; the lead registers them (e.g. prom-client gauges with async collect). */
  bufferStats(): Promise<BufferStats>;
  /** Delivered events, uploaded batches and failed upload attempts so far. */
  counters(): Readonly<FlusherCounters>;
  /** Events forwarded unrecorded under `on_buffer_failure: allow` (always 0 with deny). */
  unrecorded(): number;
}

export interface Audit {
  readonly buffer: AuditBuffer;
  readonly flusher: AuditFlusher;
  readonly sinks: readonly AuditSink[];
  readonly events: EventBuilders;
  readonly metrics: AuditMetrics;
  /** `audit.on_buffer_failure`: whether a call whose events cannot be buffered is refused. */
  readonly onBufferFailure: 'deny' | 'allow';
  /**
   * Appends the events of one client HTTP request (one write) and applies `on_buffer_failure`:
   * rejects with REGATE_ERR_AUDIT_BUFFER under deny (refuse the call); under allow logs, counts
   * and resolves (forward unrecorded). The pipeline awaits this before forwarding.
   */
  record(events: readonly TranscriptEvent[]): Promise<void>;
  /** Closes the buffer (after the flusher stopped and the HTTP server drained). */
  close(): Promise<void>;
}

/** Assembles recording; nothing runs until `flusher.start()`. */
export async function createAudit(config: AuditConfig, deps: AuditDeps): Promise<Audit> {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(deps.baseDir, p));
  const b = config.buffer;
  const redis = deps.redis?.client ?? deps.redis?.url;
  let buffer: AuditBuffer;
  if (redis !== undefined) {
    const stream = new RedisStreamBuffer({
      redis,
      keyPrefix: deps.redis?.prefix ?? 'regate:',
      maxEvents: b.max_events,
      appendTimeoutMs: b.append_timeout_ms,
      claimIdleMs: b.claim_idle_ms,
      ...(deps.consumer !== undefined ? { consumer: deps.consumer } : {}),
    });
    // Start with a connection when Redis is up; when it is not, appends are refused until it is.
    await stream.ready(5000);
    buffer = stream;
  } else {
    buffer = await MemoryFileBuffer.open({ path: path(b.spill_path), maxEvents: b.max_events, fsync: b.fsync });
  }

  const sinks: AuditSink[] = config.sinks.map((name): AuditSink => {
    if (name === 'file') {
      const f = config.file;
      return new FileSink({ path: path(f.path), maxBytes: f.max_bytes, rotateHours: f.rotate_hours, retainDays: f.retain_days });
    }
    const la = config.log_analytics;
    if (la === undefined) throw new Error('audit.log_analytics is required by the log-analytics sink'); // the schema refuses this
    return new LogAnalyticsSink(la, createCredential(la.credential, deps.azure), deps.azure);
  });

  const la = config.log_analytics;
  const flusher = new AuditFlusher(buffer, sinks, {
    batchMaxEvents: la?.batch_max_events ?? 500,
    flushIntervalMs: la?.flush_interval_ms ?? 1000,
    retryMaxMs: la?.max_retry_delay_ms ?? 30_000,
    touchIntervalMs: Math.max(100, Math.floor(b.claim_idle_ms / 3)),
    log: deps.log,
  });

  let unrecorded = 0;
  async function record(events: readonly TranscriptEvent[]): Promise<void> {
    try {
      await buffer.append(events);
    } catch (err) {
      const e = err instanceof RegateError ? err : new RegateError('REGATE_ERR_AUDIT_BUFFER', (err as Error).message, { cause: err });
      if (config.on_buffer_failure === 'deny') throw e;
      unrecorded += events.length;
      deps.log.warn({ code: e.code, events: events.length, err: e.message }, 'call forwarded unrecorded (audit.on_buffer_failure: allow)');
    }
  }

  return {
    buffer,
    flusher,
    sinks,
    events: createEventBuilders({ maxContentBytes: config.max_content_bytes, ...(deps.maskArguments ? { maskArguments: deps.maskArguments } : {}) }),
    metrics: { bufferStats: () => buffer.stats(), counters: () => ({ ...flusher.counters }), unrecorded: () => unrecorded },
    onBufferFailure: config.on_buffer_failure,
    record,
    close: () => buffer.close(),
  };
}

/**
 * Recording as one component: the flusher's lifetime and status, and on stop (after the HTTP
 * server drained, since components stop last) the final flush within the deadline, then the buffer
 * is closed.
 */
export function auditComponent(audit: Pick<Audit, 'flusher' | 'close'>, closeClient: () => Promise<void> = async () => {}): Component {
  return {
    name: audit.flusher.name,
    start: () => audit.flusher.start(),
    stop: async (deadlineMs) => {
      try {
        await audit.flusher.stop(deadlineMs);
      } finally {
        await audit.close();
        await closeClient();
      }
    },
    status: () => audit.flusher.status(),
  };
}
