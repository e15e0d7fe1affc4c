/**
 * Events per second into the Redis Streams transcript buffer, through the real RedisStreamBuffer
 * (one pipeline of XADDs per append = one client HTTP request), against a real redis-server.
 *
 *   node scripts/bench-recording.ts [--events 100000] [--concurrency 64] [--batch 2]
 *
 * Every counted event is verified: after the run the stream must hold exactly the appended count
 * (XLEN), and a sample read back through the consumer group must equal what was appended.
 * Target (issue 13): at least 20,000 events/s on the reference machine.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createEventBuilders } from '../src/audit/build-events.ts';
import type { TranscriptEvent } from '../src/audit/event.ts';
import { RedisStreamBuffer } from '../src/audit/redis-stream-buffer.ts';
import { callRecord } from '../test/helpers/audit-events.ts';
import { startRedis } from '../test/helpers/redis.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '2' },
  },
});
const total = Number(values.events);
const concurrency = Number(values.concurrency);
const batchSize = Number(values.batch);

/** Request + decision events of distinct calls, as the pipeline appends them before forwarding. */
function buildEvents(n: number): TranscriptEvent[] {
  const b = createEventBuilders({ maxContentBytes: 64 * 1024 });
  const out: TranscriptEvent[] = [];
  for (let i = 0; out.length < n; i++) out.push(...b.requestEvents(callRecord(i, { id: i, query: `customer ${i}` })));
  return out.slice(0, n);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const redis = await startRedis();
const client = new Redis(redis.url, { enableOfflineQueue: false });
await new Promise((resolve) => client.once('ready', resolve));
try {
  const buffer = new RedisStreamBuffer({ redis: client, keyPrefix: 'bench:', maxEvents: total * 2, appendTimeoutMs: 5000, claimIdleMs: 60_000 });
  const events = buildEvents(total);
  const batches: TranscriptEvent[][] = [];
  for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize));

  // Warm-up (not counted) on another key prefix.
  const warm = new RedisStreamBuffer({ redis: client, keyPrefix: 'warm:', maxEvents: 1e9, appendTimeoutMs: 5000, claimIdleMs: 60_000 });
  for (let i = 0; i < 200; i++) await warm.append(batches[i % batches.length] ?? []);

  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        const batch = batches[i];
        if (batch === undefined) return;
        const t0 = process.hrtime.bigint();
        await buffer.append(batch);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  // Verify: the stream holds exactly what was appended, and a sample reads back unchanged.
  const stored = await client.xlen(buffer.key);
  if (stored !== total) throw new Error(`stream holds ${stored} events, ${total} were appended`);
  const sample = await buffer.read(1000);
  const byId = new Map(events.map((e) => [e.event_id, JSON.stringify(e)]));
  for (const s of sample) {
    if (byId.get(s.event.event_id) !== JSON.stringify(s.event)) throw new Error(`event ${s.event.event_id} did not read back unchanged`);
  }
  if (sample.length !== Math.min(1000, total)) throw new Error(`read back ${sample.length} events`);

  latencies.sort((a, b) => a - b);
  const result = {
    events: total,
    batch: batchSize,
    concurrency,
    seconds: Number(seconds.toFixed(3)),
    events_per_second: Math.round(total / seconds),
    appends_per_second: Math.round(batches.length / seconds),
    append_ms: { p50: Number(percentile(latencies, 50).toFixed(3)), p99: Number(percentile(latencies, 99).toFixed(3)) },
    verified: { xlen: stored, read_back: sample.length },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  client.disconnect();
  await redis.stop();
}
