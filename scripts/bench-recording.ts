/**
 * Events per second into the Redis Streams transcript buffer, through the real RedisStreamBuffer
 * (one pipeline of XADDs per append = one client HTTP request), against a real redis-server.
 *
 *   node scripts/bench-recording.ts [--events 100000] [--concurrency 64] [--batch 2] [--rounds 3]
 *                                   [--lag-seconds 10] [--calls-per-second 1000]
 *   node scripts/bench-recording.ts --events 2000 --rounds 1 --lag-seconds 1   # quickest
 *
 * Phase 1, throughput: every counted event is verified: after each round the stream must hold
 * exactly the appended count (XLEN), and a sample read back through the consumer group must equal
 * what was appended. Target (issue 13): at least 20,000 events/s on the reference machine.
 * Reference floor in the same rounds, on the same redis-server: a plain ioredis pipeline of XADDs
 * per batch with the same event JSON (eventJson's text of events built alike, serialised before
 * timing) at the same concurrency, XLEN checked. regate's events/s is reported as a ratio of the floor's, median (min-max) over rounds
 * that alternate which goes first; each round appends fresh events (eventJson caches per object).
 *
 * Phase 2, end-to-end lag: calls (request + decision + response events, recorded in two appends as
 * the pipeline does) at a steady rate for a fixed time, with the real flusher uploading through the
 * real Azure SDK clients to the local Logs Ingestion fake; lag = arrival at the fake - append. Every
 * event must arrive. Target: under 5 s at 1,000 calls/s.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createEventBuilders } from '../src/audit/build-events.ts';
import { eventJson, type TranscriptEvent } from '../src/audit/event.ts';
import { auditConfigSchema } from '../src/audit/config.ts';
import { createAudit } from '../src/audit/create.ts';
import { RedisStreamBuffer } from '../src/audit/redis-stream-buffer.ts';
import { AzureFakes, azureClientOptions } from '../test/helpers/azure-fakes.ts';
import { callRecord } from '../test/helpers/audit-events.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { testCa } from '../test/helpers/test-ca.ts';
import { quantile, spread, type Spread } from './bench/stats.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    'lag-seconds': { type: 'string', default: '10' },
    'calls-per-second': { type: 'string', default: '1000' },
  },
});
const total = Number(values.events);
const concurrency = Number(values.concurrency);
const batchSize = Number(values.batch);
const rounds = Number(values.rounds);
if (!(total >= 1 && concurrency >= 1 && batchSize >= 1 && rounds >= 1)) throw new Error('--events, --concurrency, --batch and --rounds must be at least 1');

/** Request + decision events of distinct calls, as the pipeline appends them before forwarding. */
function buildEvents(n: number): TranscriptEvent[] {
  const b = createEventBuilders({ maxContentBytes: 64 * 1024 });
  const out: TranscriptEvent[] = [];
  for (let i = 0; out.length < n; i++) out.push(...b.requestEvents(callRecord(i, { id: i, query: `customer ${i}` })));
  return out.slice(0, n);
}

function batchesOf<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) out.push(items.slice(i, i + batchSize));
  return out;
}

/** Appends every batch with `concurrency` workers at once; the time taken and each append's latency (ms). */
async function drive<T>(batches: readonly T[], append: (batch: T) => Promise<unknown>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const batch = batches[next++];
        if (batch === undefined) return;
        const t0 = process.hrtime.bigint();
        await append(batch);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, latencies };
}

/** The floor's append: one plain pipeline of XADDs, every reply checked. */
async function plainXadd(client: Redis, key: string, texts: readonly string[]): Promise<void> {
  const p = client.pipeline();
  for (const t of texts) p.xadd(key, '*', 'e', t);
  const failed = (await p.exec())?.find(([err]) => err !== null);
  if (failed !== undefined) throw failed[0];
}

/** p50 and p99 of the append latencies of every round. */
function appendMs(runs: readonly { latencies: number[] }[]) {
  const all = runs.flatMap((r) => r.latencies);
  return { p50: Number(quantile(all, 0.5).toFixed(3)), p99: Number(quantile(all, 0.99).toFixed(3)) };
}

const round3 = (s: Spread) => ({ min: Number(s.min.toFixed(3)), median: Number(s.median.toFixed(3)), max: Number(s.max.toFixed(3)) });
const whole = (s: Spread) => ({ min: Math.round(s.min), median: Math.round(s.median), max: Math.round(s.max) });

const redis = await startRedis();
const client = new Redis(redis.url, { enableOfflineQueue: false });
await new Promise((resolve) => client.once('ready', resolve));
try {
  // Warm-up (not counted) on other keys, with events of their own (eventJson caches per object).
  const warmBatches = batchesOf(buildEvents(400));
  const warm = new RedisStreamBuffer({ redis: client, keyPrefix: 'warm:', maxEvents: 1e9, appendTimeoutMs: 5000, claimIdleMs: 60_000 });
  const warmTexts = batchesOf(buildEvents(400).map((e) => eventJson(e)));
  for (let i = 0; i < 200; i++) {
    await warm.append(warmBatches[i % warmBatches.length] ?? []);
    await plainXadd(client, 'warm-floor', warmTexts[i % warmTexts.length] ?? []);
  }
  await client.del(warm.key, 'warm-floor');

  const regate: { seconds: number; latencies: number[] }[] = [];
  const floor: { seconds: number; latencies: number[] }[] = [];
  let readBack = 0;
  for (let round = 0; round < rounds; round++) {
    // Fresh events every round, so regate's append serialises what it does in service (the builder
    // has serialised request events already, not decision events). The floor appends the JSON text
    // eventJson gives events built alike, serialised before timing (and not regate's objects, whose
    // cached JSON it would otherwise fill in).
    const events = buildEvents(total);
    const texts = buildEvents(total).map((e) => eventJson(e));
    const buffer = new RedisStreamBuffer({ redis: client, keyPrefix: `bench:${round}:`, maxEvents: total * 2, appendTimeoutMs: 5000, claimIdleMs: 60_000 });
    const floorKey = `floor:${round}`;
    const runRegate = async () => {
      regate.push(await drive(batchesOf(events), (batch) => buffer.append(batch)));
      // Verify: the stream holds exactly what was appended, and a sample reads back unchanged.
      const stored = await client.xlen(buffer.key);
      if (stored !== total) throw new Error(`round ${round}: stream holds ${stored} events, ${total} were appended`);
      const sample = await buffer.read(1000);
      const byId = new Map(events.map((e) => [e.event_id, JSON.stringify(e)]));
      for (const s of sample) {
        if (byId.get(s.event.event_id) !== JSON.stringify(s.event)) throw new Error(`event ${s.event.event_id} did not read back unchanged`);
      }
      if (sample.length !== Math.min(1000, total)) throw new Error(`round ${round}: read back ${sample.length} events`);
      readBack += sample.length;
    };
    const runFloor = async () => {
      floor.push(await drive(batchesOf(texts), (batch) => plainXadd(client, floorKey, batch)));
      const stored = await client.xlen(floorKey);
      if (stored !== total) throw new Error(`round ${round}: floor stream holds ${stored} events, ${total} were appended`);
    };
    // Alternate which goes first, so neither always meets the fuller Redis.
    for (const run of round % 2 === 0 ? [runRegate, runFloor] : [runFloor, runRegate]) await run();
    await client.del(buffer.key, floorKey); // keeps Redis's memory the same from round to round
  }

  const appends = Math.ceil(total / batchSize);
  const eps = (r: { seconds: number }) => total / r.seconds;
  const regateEps = spread(regate.map(eps));
  const result = {
    events: total,
    batch: batchSize,
    concurrency,
    rounds,
    seconds: round3(spread(regate.map((r) => r.seconds))),
    events_per_second: Math.round(regateEps.median),
    events_per_second_rounds: whole(regateEps),
    appends_per_second: Math.round(spread(regate.map((r) => appends / r.seconds)).median),
    append_ms: appendMs(regate),
    floor: {
      what: 'plain ioredis pipeline of XADDs per batch, same event JSON, same concurrency, same redis-server',
      events_per_second_rounds: whole(spread(floor.map(eps))),
      append_ms: appendMs(floor),
    },
    // Per round: regate's events/s / the floor's in the same round.
    ratio_to_floor: round3(spread(regate.map((r, i) => eps(r) / eps(floor[i]!)))),
    verified: { xlen_per_round: total, read_back: readBack },
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
