import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisStreamBuffer } from '../../../src/audit/redis-stream-buffer.ts';
import { RegateError } from '../../../src/errors.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';

describe('the Redis Streams buffer (real redis-server)', () => {
  let redis: RedisServer;
  let client: Redis;
  let n = 0;
  const make = (opts: { consumer?: string; claimIdleMs?: number; maxEvents?: number; prefix?: string } = {}) =>
    new RedisStreamBuffer({
      redis: client,
      keyPrefix: opts.prefix ?? `b${n}:`,
      maxEvents: opts.maxEvents ?? 10_000,
      appendTimeoutMs: 1000,
      claimIdleMs: opts.claimIdleMs ?? 60_000,
      claimIntervalMs: 0,
      ...(opts.consumer !== undefined ? { consumer: opts.consumer } : {}),
    });

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    await new Promise((resolve) => client.once('ready', resolve));
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(() => n++);

  it('appends a whole batch as stream entries, read back unchanged through the consumer group', async () => {
    const b = make();
    const events = sampleEvents(7);
    await b.append(events);
    assert.equal(await client.xlen(b.key), 7);
    assert.deepEqual((await b.read(100)).map((r) => r.event), events);
  });

  it('writes one batch to the socket once: one round trip per client HTTP request, whatever its size', async () => {
    const b = make();
    const socket = client.stream;
    const write = socket.write.bind(socket);
    let writes = 0;
    socket.write = ((...args: Parameters<typeof write>) => {
      writes++;
      return write(...args);
    }) as typeof socket.write;
    try {
      await b.append(sampleEvents(25));
    } finally {
      socket.write = write;
    }
    assert.equal(writes, 1);
    assert.equal(await client.xlen(b.key), 25);
  });

  it('trims only acknowledged events: pending and undelivered ones stay', async () => {
    const b = make();
    await b.append(sampleEvents(10));
    const first = await b.read(5);
    await b.ack(first.slice(0, 3).map((r) => r.id));
    await b.trim();
    assert.equal(await client.xlen(b.key), 7, '2 pending + 5 undelivered');
    const ids = (await client.xrange(b.key, '-', '+')).map(([id]) => id);
    assert.deepEqual(ids.slice(0, 2), first.slice(3).map((r) => r.id));
    await b.ack(first.slice(3).map((r) => r.id));
    await b.ack((await b.read(100)).map((r) => r.id));
    await b.trim();
    assert.equal(await client.xlen(b.key), 0);
  });

  it('hands a dead consumer\'s idle events to another consumer (XAUTOCLAIM), but not events their owner keeps touching', async () => {
    const prefix = `claim${n}:`;
    const dead = make({ consumer: 'dead', claimIdleMs: 150, prefix });
    const alive = make({ consumer: 'alive', claimIdleMs: 150, prefix });
    const other = make({ consumer: 'other', claimIdleMs: 150, prefix });
    await dead.append(sampleEvents(6));
    const deadHeld = await dead.read(3);
    const aliveHeld = await alive.read(3);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 60));
      await alive.touch(aliveHeld.map((r) => r.id));
    }
    const claimed = await other.read(10);
    assert.deepEqual(claimed.map((r) => r.id), deadHeld.map((r) => r.id));
    assert.deepEqual(await other.read(10), [], 'nothing new, and the live consumer\'s events stay with it');
  });

  it('refuses an append beyond max_events with REGATE_ERR_AUDIT_BUFFER', async () => {
    const b = make({ maxEvents: 5 });
    await b.append(sampleEvents(4));
    await assert.rejects(b.append(sampleEvents(2)), (err: unknown) => err instanceof RegateError && err.code === 'REGATE_ERR_AUDIT_BUFFER');
  });

  it('reports size, pending, lag and the age of the oldest unacknowledged event', async () => {
    const b = make();
    assert.deepEqual(await b.stats(), { size: 0, pending: 0, lag: 0, oldestUnackedAgeMs: 0 });
    await b.append(sampleEvents(5));
    await new Promise((r) => setTimeout(r, 30));
    await b.read(2);
    const s = await b.stats();
    assert.deepEqual([s.size, s.pending, s.lag], [5, 2, 3]);
    assert.ok(s.oldestUnackedAgeMs >= 25);
  });

  it('recreates its consumer group when Redis lost it', async () => {
    const b = make();
    await b.append(sampleEvents(1));
    await b.read(10);
    await client.del(b.key);
    await b.append(sampleEvents(2));
    assert.equal((await b.read(10)).length, 2);
  });
});
