import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Audit } from '../../../src/audit/create.ts';
import { AzureFakes } from '../../helpers/azure-fakes.ts';
import { callRecord, sampleEvents } from '../../helpers/audit-events.ts';
import { waitUntil } from '../../helpers/ports.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import { checkReceived, redisAudit } from './audit-setup.ts';

describe('transcript delivery: Redis Streams buffer -> flusher -> Logs Ingestion (real redis-server, Azure fakes)', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let fakes: AzureFakes;
  let audit: Audit | undefined;
  let prefix = 0;

  before(async () => {
    redis = await startRedis();
    fakes = await AzureFakes.start();
  });
  after(async () => {
    await fakes.close();
    await redis.stop();
  });
  beforeEach(() => {
    fakes.received.length = 0;
    fakes.arrivals.length = 0;
    fakes.refuse(undefined);
  });
  afterEach(async () => {
    await audit?.flusher.stop(2000);
    await audit?.close();
    audit = undefined;
  });

  it('delivers every event of a 10,000-event run; the only duplicates (answers lost after storing) share their event_id', async () => {
    audit = await redisAudit(fakes, redis.url, `t${prefix++}:`);
    // Every 4th of the first 24 uploads is stored and then its answer lost: the flusher sends it again.
    fakes.refuse((n) => (n < 24 && n % 4 === 1 ? { status: 'lost-answer' } : n < 24 && n % 4 === 3 ? { status: 503 } : undefined));
    await audit.flusher.start();
    const events = sampleEvents(10_000);
    for (let i = 0; i < events.length; i += 10) await audit.buffer.append(events.slice(i, i + 10)); // one append per client request
    await waitUntil('all 10,000 events at the fake', async () => fakes.ids().size === events.length, { timeoutMs: 90_000, intervalMs: 100 });
    const { distinct, duplicates } = checkReceived(events, fakes.received);
    assert.equal(distinct, 10_000);
    assert.ok(duplicates > 0, 'lost answers made the flusher send some events twice');
    const a = audit;
    await waitUntil('buffer drained', async () => (await a.buffer.stats()).pending === 0);
    const stats = await audit.buffer.stats();
    assert.deepEqual({ pending: stats.pending, lag: stats.lag }, { pending: 0, lag: 0 });
  });

  it('keeps events while the service answers 429 (Retry-After) and 503 for 60 seconds, then drains the backlog', async function () {
    this.timeout(150_000);
    audit = await redisAudit(fakes, redis.url, `t${prefix++}:`, { max_retry_delay_ms: 3000, batch_max_events: 200 });
    const outageEnds = Date.now() + 60_000;
    let n429 = 0;
    fakes.refuse(() => (Date.now() < outageEnds ? (n429++ % 2 === 0 ? { status: 429, retryAfterSeconds: 2 } : { status: 503 }) : undefined));
    await audit.flusher.start();
    const events = sampleEvents(3000);
    // Calls keep being recorded during the outage: 30 appends spread over the first ~30 s.
    for (let i = 0; i < events.length; i += 100) {
      await audit.buffer.append(events.slice(i, i + 100));
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(fakes.received.length, 0, 'nothing accepted during the outage');
    const status = audit.flusher.status();
    assert.equal(status.state, 'DEGRADED');
    assert.match(status.message ?? '', /^degraded: sink log-analytics failing/);
    const during = await audit.buffer.stats();
    assert.equal(during.pending + during.lag, 3000, 'every event waits in the buffer');
    assert.ok(during.oldestUnackedAgeMs >= 25_000);
    await waitUntil('backlog drained after the outage', async () => fakes.ids().size === events.length, { timeoutMs: 70_000, intervalMs: 200 });
    checkReceived(events, fakes.received);
    assert.ok(fakes.statuses.includes(429) && fakes.statuses.includes(503));
    await waitUntil('status back to OK', async () => audit?.flusher.status().state === 'OK');
  });

  it('records an oversized response truncated to max_content_bytes with its size and SHA-256, and uploads it', async () => {
    audit = await redisAudit(fakes, redis.url, `t${prefix++}:`);
    await audit.flusher.start();
    const content = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'y'.repeat(3 * 1024 * 1024) }] } };
    const json = JSON.stringify(content);
    const event = audit.events.responseEvent(callRecord(1), content, json.length);
    await audit.buffer.append([event]);
    await waitUntil('uploaded', async () => fakes.ids().has(event.event_id));
    const got = fakes.received.find((e) => e.event_id === event.event_id);
    const sha = createHash('sha256').update(json).digest('hex');
    assert.equal(got?.bytes, json.length);
    assert.deepEqual(got?.truncated, ['content']);
    assert.equal(got?.content_sha256, sha);
    assert.ok(typeof got?.content === 'string' && got.content.endsWith(`[truncated by regate: ${json.length} bytes, sha256 ${sha}]`));
    assert.ok(Buffer.byteLength(JSON.stringify(got)) < 70 * 1024);
  });
});
