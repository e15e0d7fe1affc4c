import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { AuditFlusher, chunkByBytes } from '../../../src/audit/flusher.ts';
import { MemoryFileBuffer } from '../../../src/audit/memory-file-buffer.ts';
import { SinkError, type AuditSink } from '../../../src/audit/sink.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { waitUntil } from '../../helpers/ports.ts';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A sink that stores batches, refusing while `refuse` returns an error. */
class RecordingSink implements AuditSink {
  readonly name = 'recording';
  readonly batches: TranscriptEvent[][] = [];
  refuse: ((batch: readonly TranscriptEvent[]) => SinkError | undefined) | undefined;
  async write(events: readonly TranscriptEvent[]): Promise<void> {
    const err = this.refuse?.(events);
    if (err) throw err;
    this.batches.push([...events]);
  }
  async close(): Promise<void> {}
  ids(): Set<string> {
    return new Set(this.batches.flat().map((e) => e.event_id));
  }
}

const opened: MemoryFileBuffer[] = [];

async function setup(opts: { batchMaxEvents?: number; maxBatchBytes?: number } = {}) {
  const buffer = await MemoryFileBuffer.open({ path: join(mkdtempSync(join(tmpdir(), 'regate-flush-')), 'b.jsonl'), maxEvents: 100_000, fsync: false });
  opened.push(buffer);
  const sink = new RecordingSink();
  const flusher = new AuditFlusher(buffer, [sink], {
    batchMaxEvents: opts.batchMaxEvents ?? 100, flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50, pollMs: 5, log: quiet,
    ...(opts.maxBatchBytes !== undefined ? { maxBatchBytes: opts.maxBatchBytes } : {}),
  });
  return { buffer, sink, flusher };
}

describe('the transcript flusher (memory + spill-file buffer, a recording sink)', () => {
  afterEach(async () => {
    for (const b of opened.splice(0)) await b.close();
  });

  it('batches by count and acknowledges only what the sink accepted', async () => {
    const { buffer, sink, flusher } = await setup({ batchMaxEvents: 40 });
    const events = sampleEvents(200);
    await buffer.append(events);
    await flusher.start();
    await waitUntil('delivered', async () => sink.ids().size === 200);
    assert.ok(sink.batches.every((b) => b.length <= 40));
    await waitUntil('acknowledged', async () => (await buffer.stats()).size === 0);
    await flusher.stop(1000);
  });

  it('reports degraded (ERROR standing in for DEGRADED) while the sink fails, retries, and recovers to OK', async () => {
    const { buffer, sink, flusher } = await setup();
    let failures = 0;
    sink.refuse = () => (failures++ < 5 ? new SinkError('recording', 'HTTP 503', { status: 503 }) : undefined);
    await buffer.append(sampleEvents(10));
    assert.equal(flusher.status().state, 'NOT_READY');
    await flusher.start();
    await waitUntil('failing', async () => failures >= 2);
    const s = flusher.status();
    assert.equal(s.state, 'DEGRADED');
    assert.match(s.message ?? '', /^degraded: sink recording failing since .*; events wait in the buffer$/);
    await waitUntil('delivered', async () => sink.ids().size === 10);
    await waitUntil('OK again', async () => flusher.status().state === 'OK');
    assert.equal(flusher.counters.failedAttempts, 5);
    await flusher.stop(1000);
  });

  it('honours Retry-After above its own backoff', async () => {
    const { buffer, sink, flusher } = await setup();
    const times: number[] = [];
    sink.refuse = () => {
      times.push(Date.now());
      return times.length === 1 ? new SinkError('recording', 'HTTP 429', { status: 429, retryAfterMs: 300 }) : undefined;
    };
    await buffer.append(sampleEvents(1));
    await flusher.start();
    await waitUntil('delivered', async () => sink.batches.length === 1);
    assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 290, 'waited for Retry-After');
    await flusher.stop(1000);
  });

  it('halves a batch the service refuses as too large (413) instead of dropping it', async () => {
    const { buffer, sink, flusher } = await setup();
    sink.refuse = (batch) => (batch.length > 3 ? new SinkError('recording', 'HTTP 413', { status: 413 }) : undefined);
    await buffer.append(sampleEvents(20));
    await flusher.start();
    await waitUntil('delivered', async () => sink.ids().size === 20);
    assert.ok(sink.batches.every((b) => b.length <= 3));
    await flusher.stop(1000);
  });

  it('keeps every upload under the byte limit', () => {
    const batch = sampleEvents(300).map((event, i) => ({ id: String(i), event }));
    const chunks = chunkByBytes(batch, 10_000);
    assert.equal(chunks.flat().length, 300);
    for (const c of chunks) assert.ok(Buffer.byteLength(JSON.stringify(c.map((b) => b.event))) <= 10_000);
  });

  it('flushes what is buffered on stop, within the deadline', async () => {
    const { buffer, sink, flusher } = await setup({ batchMaxEvents: 10 });
    await flusher.start();
    await buffer.append(sampleEvents(500));
    await flusher.stop(5000);
    assert.equal(sink.ids().size, 500);
  });

  it('gives up at the stop deadline while the sink still fails, leaving the events in the buffer', async () => {
    const { buffer, sink, flusher } = await setup();
    sink.refuse = () => new SinkError('recording', 'HTTP 503', { status: 503 });
    await buffer.append(sampleEvents(5));
    await flusher.start();
    const t0 = Date.now();
    await flusher.stop(300);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal((await buffer.stats()).size, 5);
  });
});
