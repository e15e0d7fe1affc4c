/**
 * Events per second into the Redis Streams transcript buffer, through the real RedisStreamBuffer
 * (one pipeline of XADDs per append = one client HTTP request), against a real redis-server.
 *
 *   node scripts/bench-recording.ts [--events 100000] [--concurrency 64] [--batch 2]
 *                                   [--lag-seconds 10] [--calls-per-second 1000]
 *
 * Phase 1, throughput: every counted event is verified: after the run the stream must hold exactly
 * the appended count (XLEN), and a sample read back through the consumer group must equal what was
 * appended. Target (issue 13): at least 20,000 events/s on the reference machine.
 *
 * Phase 2, end-to-end lag: calls (request + decision + response events, recorded in two appends as
 * the pipeline does) at a steady rate for a fixed time, with the real flusher uploading through the
 * real Azure SDK clients to the local Logs Ingestion fake; lag = arrival at the fake - append. Every
 * event must arrive. Target: under 5 s at 1,000 calls/s.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createEventBuilders } from '../src/audit/build-events.ts';
import type { TranscriptEvent } from '../src/audit/event.ts';
import { auditConfigSchema } from '../src/audit/config.ts';
import { createAudit } from '../src/audit/create.ts';
import { RedisStreamBuffer } from '../src/audit/redis-stream-buffer.ts';
import { AzureFakes, azureClientOptions } from '../test/helpers/azure-fakes.ts';
import { callRecord } from '../test/helpers/audit-events.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { testCa } from '../test/helpers/test-ca.ts';
import { quantile } from './bench/stats.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '2' },
    'lag-seconds': { type: 'string', default: '10' },
    'calls-per-second': { type: 'string', default: '1000' },
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

  const result = {
    events: total,
    batch: batchSize,
    concurrency,
    seconds: Number(seconds.toFixed(3)),
    events_per_second: Math.round(total / seconds),
    appends_per_second: Math.round(batches.length / seconds),
    append_ms: { p50: Number(quantile(latencies, 0.5).toFixed(3)), p99: Number(quantile(latencies, 0.99).toFixed(3)) },
    verified: { xlen: stored, read_back: sample.length },
  };
  process.stdout.write(`${JSON.stringify({ throughput: result }, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ lag: await endToEndLag(redis.url) }, null, 2)}\n`);
} finally {
  client.disconnect();
  await redis.stop();
}

/** Phase 2: steady calls for `lag-seconds`, every event uploaded to the ingestion fake. */
async function endToEndLag(redisUrl: string) {
  const seconds = Number(values['lag-seconds']);
  const rate = Number(values['calls-per-second']);
  const fakes = await AzureFakes.start();
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const audit = await createAudit(
    auditConfigSchema.parse({ sink: 'log-analytics', log_analytics: fakes.logAnalyticsConfig({ flush_interval_ms: 200 }) }),
    { redis: { url: redisUrl, prefix: 'lag:' }, log, baseDir: '.', azure: azureClientOptions(await testCa(), 3) },
  );
  const b = createEventBuilders({ maxContentBytes: 64 * 1024 });
  const appendedAt = new Map<string, number>();
  await audit.flusher.start();
  try {
    const started = Date.now();
    let calls = 0;
    const pending: Promise<void>[] = [];
    // Every 10 ms, the calls due by now: a steady rate without one timer per call.
    while (Date.now() - started < seconds * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      for (; calls < due; calls++) {
        const r = callRecord(calls);
        const before = b.requestEvents(r);
        const after = [b.responseEvent(r, { jsonrpc: '2.0', id: calls, result: { content: [{ type: 'text', text: `customer ${calls}` }] } }, 80)];
        pending.push(
          (async () => {
            await audit.buffer.append(before);
            const t = Date.now();
            for (const e of before) appendedAt.set(e.event_id, t);
            await audit.buffer.append(after);
            appendedAt.set(after[0]?.event_id ?? '', Date.now());
          })(),
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(pending);
    const deadline = Date.now() + 60_000;
    while (fakes.ids().size < appendedAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const firstArrival = new Map<string, number>();
    fakes.received.forEach((e, i) => {
      if (!firstArrival.has(e.event_id)) firstArrival.set(e.event_id, fakes.arrivals[i] ?? 0);
    });
    const missing = [...appendedAt.keys()].filter((id) => !firstArrival.has(id)).length;
    if (missing > 0) throw new Error(`${missing} of ${appendedAt.size} events never reached the ingestion fake`);
    const lags = [...appendedAt].map(([id, t]) => (firstArrival.get(id) ?? 0) - t);
    return {
      calls,
      events: appendedAt.size,
      calls_per_second: rate,
      seconds,
      uploads: fakes.statuses.length,
      lag_ms: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: quantile(lags, 1) },
      verified: { arrived: firstArrival.size, duplicates: fakes.received.length - firstArrival.size },
    };
  } finally {
    await audit.flusher.stop(5000);
    await audit.close();
    await fakes.close();
  }
}
