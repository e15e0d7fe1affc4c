/**
 * The store contract: the SAME cases run against the in-memory store and against a real
 * redis-server, so consumers (session ownership, counters, concurrency limits, approvals, wake-ups)
 * can rely on one behaviour wherever state lives. Redis-only cases follow: key prefixes on the wire,
 * component readiness, a stalled Redis, and Redis restarting mid-test.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Component } from '../../../src/components/component.ts';
import { RegateError } from '../../../src/errors.ts';
import { redisConfigSchema } from '../../../src/store/config.ts';
import { createStore } from '../../../src/store/create.ts';
import type { Store } from '../../../src/store/store.ts';
import { freePort, waitUntil } from '../../helpers/ports.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `messages` (filled by a subscription) holds `count` messages; fails after 5 s. */
function waitForMessages(messages: string[], count: number, what: string): Promise<void> {
  return waitUntil(what, async () => messages.length >= count, { timeoutMs: 5000, intervalMs: 10 });
}

interface Backend {
  /** A store in a namespace no other test uses. */
  fresh(): Promise<Store>;
  /** Two stores that share one namespace, as two replicas of regate do. */
  replicas(): Promise<[Store, Store]>;
}

function storeContract(name: string, backend: () => Backend): void {
  describe(`store contract: ${name}`, function () {
    this.timeout(20_000);
    let s: Store;
    beforeEach(async () => {
      s = await backend().fresh();
    });

    describe('plain values', () => {
      it('set, get, overwrite and del; an absent key reads as undefined', async () => {
        assert.equal(await s.get('k'), undefined);
        await s.set('k', 'v1', 60_000);
        assert.equal(await s.get('k'), 'v1');
        await s.set('k', 'v2', 60_000);
        assert.equal(await s.get('k'), 'v2');
        await s.del('k');
        assert.equal(await s.get('k'), undefined);
        await s.del('k');
      });

      it('keeps any string intact: empty, unicode, JSON', async () => {
        for (const v of ['', 'ünïcødé ✓ 🎉', JSON.stringify({ a: [1, 'x'], b: null }), 'line\r\nbreak']) {
          await s.set('k', v, 60_000);
          assert.equal(await s.get('k'), v);
        }
      });

      it('setIfAbsent stores only the first value (who owns a session)', async () => {
        assert.equal(await s.setIfAbsent('owner', 'alice', 60_000), true);
        assert.equal(await s.setIfAbsent('owner', 'mallory', 60_000), false);
        assert.equal(await s.get('owner'), 'alice');
        await s.del('owner');
        assert.equal(await s.setIfAbsent('owner', 'bob', 60_000), true);
        assert.equal(await s.get('owner'), 'bob');
      });

      it('setIfAbsent under racing claims: exactly one wins', async () => {
        const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => s.setIfAbsent('claim', `p${i}`, 60_000)));
        assert.equal(wins.filter(Boolean).length, 1);
        assert.equal(await s.get('claim'), `p${wins.indexOf(true)}`);
      });
    });

    describe('expiry', () => {
      it('a value is gone after its TTL, and can then be claimed again', async () => {
        await s.set('short', 'v', 150);
        assert.equal(await s.setIfAbsent('claimed', 'a', 150), true);
        assert.equal(await s.get('short'), 'v');
        await sleep(400);
        assert.equal(await s.get('short'), undefined);
        assert.equal(await s.setIfAbsent('claimed', 'b', 60_000), true);
        assert.equal(await s.get('claimed'), 'b');
      });

      it('a counter takes its TTL from the increment that creates it; later increments do not extend it', async () => {
        assert.equal(await s.increment('calls', 400), 1);
        await sleep(250);
        assert.equal(await s.increment('calls', 400), 2);
        await sleep(250);
        assert.equal(await s.increment('calls', 400), 1, 'expired 400 ms after the first increment, so counting starts again');
      });

      it('a set is gone after its TTL; each add renews it', async () => {
        await s.setAdd('ids', 'a', 300);
        await sleep(200);
        await s.setAdd('ids', 'b', 300);
        await sleep(200);
        assert.deepEqual((await s.setMembers('ids')).sort(), ['a', 'b'], 'renewed by the second add');
        await sleep(300);
        assert.deepEqual(await s.setMembers('ids'), []);
      });
    });

    describe('counters', () => {
      it('increment counts from 1', async () => {
        assert.deepEqual([await s.increment('c', 60_000), await s.increment('c', 60_000), await s.increment('c', 60_000)], [1, 2, 3]);
      });

      it('parallel increments are never lost, and each sees its own count', async () => {
        const counts = await Promise.all(Array.from({ length: 50 }, () => s.increment('c', 60_000)));
        assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      });
    });

    describe('bounded counters (concurrency limits)', () => {
      it('acquire takes slots up to max; release gives one back', async () => {
        const taken = [await s.acquire('slots', 3, 60_000), await s.acquire('slots', 3, 60_000), await s.acquire('slots', 3, 60_000)];
        assert.deepEqual(taken, [true, true, true]);
        assert.equal(await s.acquire('slots', 3, 60_000), false);
        await s.release('slots');
        assert.equal(await s.acquire('slots', 3, 60_000), true);
        assert.equal(await s.acquire('slots', 3, 60_000), false);
      });

      it('release never goes below zero', async () => {
        await s.release('slots');
        await s.release('slots');
        assert.deepEqual(await Promise.all([1, 2, 3].map(() => s.acquire('slots', 2, 60_000))).then((r) => r.filter(Boolean).length), 2);
      });

      it('many parallel acquires never exceed max', async () => {
        const results = await Promise.all(Array.from({ length: 40 }, () => s.acquire('slots', 5, 60_000)));
        assert.equal(results.filter(Boolean).length, 5);
      });

      it('workers that acquire, work and release never hold more than max slots at once', async () => {
        const max = 3;
        let inFlight = 0;
        let peak = 0;
        let done = 0;
        const worker = async () => {
          for (let attempt = 0; attempt < 500; attempt++) {
            if (await s.acquire('work', max, 60_000)) {
              inFlight++;
              peak = Math.max(peak, inFlight);
              await sleep(2);
              inFlight--;
              await s.release('work');
              done++;
              return;
            }
            await sleep(2);
          }
        };
        await Promise.all(Array.from({ length: 12 }, worker));
        assert.equal(done, 12, 'every worker got a slot in the end');
        assert.ok(peak <= max, `peak ${peak} <= ${max}`);
        assert.equal(peak, max, 'the limit was actually reached, so the check above means something');
      });

      it('the slots of a holder that never released are freed by the TTL', async () => {
        assert.equal(await s.acquire('slots', 1, 150), true);
        assert.equal(await s.acquire('slots', 1, 150), false);
        await sleep(400);
        assert.equal(await s.acquire('slots', 1, 150), true);
      });
    });

    describe('update (atomic read-modify-write of a record)', () => {
      it('creates, changes, and leaves unchanged when fn returns undefined', async () => {
        assert.deepEqual(await s.update('rec', (cur) => (cur === undefined ? '{"state":"pending"}' : undefined), 60_000), { value: '{"state":"pending"}', written: true });
        assert.deepEqual(await s.update('rec', () => undefined, 60_000), { value: '{"state":"pending"}', written: false });
        const decide = (cur: string | undefined) => {
          const r = JSON.parse(cur ?? '{}') as { state: string };
          return r.state === 'pending' ? JSON.stringify({ state: 'approved' }) : undefined;
        };
        assert.deepEqual(await s.update('rec', decide, 60_000), { value: '{"state":"approved"}', written: true });
        assert.deepEqual(await s.update('rec', decide, 60_000), { value: '{"state":"approved"}', written: false }, 'already decided: the second approver sees the decision');
        assert.equal(await s.get('rec'), '{"state":"approved"}');
      });

      it('20 racing updaters of one record: no update is lost', async () => {
        await s.set('rec', JSON.stringify({ approvers: [] }), 60_000);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.update('rec', (cur) => {
              const r = JSON.parse(cur!) as { approvers: string[] };
              return JSON.stringify({ approvers: [...r.approvers, `u${i}`] });
            }, 60_000),
          ),
        );
        const final = JSON.parse((await s.get('rec'))!) as { approvers: string[] };
        assert.deepEqual([...final.approvers].sort(), Array.from({ length: 20 }, (_, i) => `u${i}`).sort());
      });

      it('racing decisions on one approval: exactly one writes', async () => {
        await s.set('approval', 'pending', 60_000);
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.update('approval', (cur) => (cur === 'pending' ? `decided-by-${i}` : undefined), 60_000)));
        const writers = results.filter((r) => r.written);
        assert.equal(writers.length, 1);
        assert.equal(await s.get('approval'), writers[0]!.value);
        for (const r of results) assert.equal(r.value, writers[0]!.value, 'every caller learns the decision that stands');
      });

      it('a written record takes the TTL', async () => {
        await s.update('rec', () => 'v', 150);
        await sleep(400);
        assert.equal(await s.get('rec'), undefined);
      });
    });

    describe('sets', () => {
      it('add, remove and list members; the set goes with its last member', async () => {
        assert.deepEqual(await s.setMembers('pending'), []);
        await s.setAdd('pending', 'a1', 60_000);
        await s.setAdd('pending', 'a2', 60_000);
        await s.setAdd('pending', 'a1', 60_000);
        assert.deepEqual((await s.setMembers('pending')).sort(), ['a1', 'a2']);
        await s.setRemove('pending', 'a1');
        await s.setRemove('pending', 'never-added');
        assert.deepEqual(await s.setMembers('pending'), ['a2']);
        await s.setRemove('pending', 'a2');
        assert.deepEqual(await s.setMembers('pending'), []);
        await s.setAdd('pending', 'a3', 60_000);
        await s.del('pending');
        assert.deepEqual(await s.setMembers('pending'), []);
      });
    });

    describe('pub/sub', () => {
      it('a message published by one replica reaches subscribers on the other, until they unsubscribe', async () => {
        const [a, b] = await backend().replicas();
        const got: string[] = [];
        const alsoGot: string[] = [];
        const marks: string[] = [];
        const unsubscribe = await b.subscribe('wake', (m) => got.push(m));
        await b.subscribe('wake', (m) => alsoGot.push(m));
        await b.subscribe('mark', (m) => marks.push(m));
        await a.publish('wake', 'approval-1');
        await waitForMessages(got, 1, 'the first message');
        await waitForMessages(alsoGot, 1, 'the first message, on the second handler');
        assert.deepEqual(got, ['approval-1']);
        await unsubscribe();
        await unsubscribe();
        await a.publish('wake', 'approval-2');
        await a.publish('mark', 'after');
        // Messages from one publisher arrive in order: once 'mark' is here, 'wake' was delivered too.
        await waitForMessages(marks, 1, 'the mark');
        assert.deepEqual(got, ['approval-1'], 'no message after unsubscribing');
        assert.deepEqual(alsoGot, ['approval-1', 'approval-2'], 'the other subscription still receives');
      });

      it('a handler that throws does not stop the others', async () => {
        const [a, b] = await backend().replicas();
        const got: string[] = [];
        await b.subscribe('wake', () => {
          throw new Error('consumer bug');
        });
        await b.subscribe('wake', (m) => got.push(m));
        await a.publish('wake', 'm');
        await waitForMessages(got, 1, 'the message');
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------

const opened: Array<{ store: Store; component: Component }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.component.stop(1000);
});

storeContract('in memory', () => ({
  async fresh() {
    const o = createStore(undefined, silent);
    opened.push(o);
    return o.store;
  },
  // One process: both "replicas" are the same store.
  async replicas() {
    const o = createStore(undefined, silent);
    opened.push(o);
    return [o.store, o.store];
  },
}));

let redis: RedisServer;
let namespaces = 0;

/** A started Redis store on the test server, like the composition builds it. */
async function openRedis(prefix: string, overrides: Record<string, unknown> = {}, url = redis.url): Promise<{ store: Store; component: Component }> {
  const o = createStore(redisConfigSchema.parse({ url, key_prefix: prefix, command_timeout_ms: 500, connect_timeout_ms: 1000, ...overrides }), silent);
  opened.push(o);
  await o.component.start();
  return o;
}

describe('redis-server for the store contract', function () {
  this.timeout(30_000);
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis?.stop());

  storeContract('redis', () => ({
    fresh: async () => (await openRedis(`t${++namespaces}:`)).store,
    async replicas() {
      const prefix = `t${++namespaces}:`;
      return [(await openRedis(prefix)).store, (await openRedis(prefix)).store];
    },
  }));

  describe('store on redis: beyond the contract', () => {
    it('every key and channel carries the prefix; two prefixes on one Redis do not see each other', async () => {
      const one = (await openRedis('one:')).store;
      const two = (await openRedis('two:')).store;
      await one.set('k', 'from-one', 60_000);
      await two.set('k', 'from-two', 60_000);
      await one.setAdd('ids', 'x', 60_000);
      assert.equal(await one.get('k'), 'from-one');
      assert.equal(await two.get('k'), 'from-two');
      assert.deepEqual(await two.setMembers('ids'), []);

      const raw = new Redis(redis.port, '127.0.0.1');
      try {
        assert.deepEqual((await raw.keys('*')).filter((k) => k.startsWith('one:') || k.startsWith('two:')).sort(), ['one:ids', 'one:k', 'two:k']);
        assert.ok(0 < (await raw.pttl('one:k')) && (await raw.pttl('one:k')) <= 60_000, 'written with its TTL');
      } finally {
        raw.disconnect();
      }

      const heardByTwo: string[] = [];
      const marks: string[] = [];
      await two.subscribe('wake', (m) => heardByTwo.push(m));
      await two.subscribe('mark', (m) => marks.push(m));
      await one.publish('wake', 'for-one-only');
      await two.publish('wake', 'for-two');
      await two.publish('mark', 'after');
      await waitForMessages(marks, 1, 'the mark');
      assert.deepEqual(heardByTwo, ['for-two']);
    });

    it('component: NOT_READY before the first connection, OK once connected, NOT_READY when stopped', async () => {
      const o = createStore(redisConfigSchema.parse({ url: redis.url, key_prefix: 'c:' }), silent);
      opened.push(o);
      assert.equal(o.component.name, 'store');
      assert.equal(o.component.status().state, 'NOT_READY');
      await o.component.start();
      await waitUntil('store OK', async () => o.component.status().state === 'OK', { timeoutMs: 5000 });
      assert.match(o.component.status().message ?? '', /connected to Redis at 127\.0\.0\.1:\d+/);
      await o.component.stop(1000);
      assert.equal(o.component.status().state, 'NOT_READY');
      await assert.rejects(o.store.get('k'), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
    });

    it('a Redis that is not there: start() returns, the component says so, operations fail fast', async () => {
      const port = await freePort();
      const o = await openRedis('x:', {}, `redis://127.0.0.1:${port}`);
      const status = o.component.status();
      assert.equal(status.state, 'NOT_READY');
      assert.match(status.message ?? '', new RegExp(`connecting to Redis at 127\\.0\\.0\\.1:${port}`));
      await assert.rejects(o.store.get('k'), { code: 'REGATE_ERR_STORE_UNAVAILABLE', status: 503 });
    });

    it('a Redis that accepts but does not answer: the command times out as STORE_UNAVAILABLE', async () => {
      const { store } = await openRedis('slow:');
      const raw = new Redis(redis.port, '127.0.0.1');
      try {
        await raw.call('CLIENT', 'PAUSE', '1500', 'ALL');
        const started = Date.now();
        await assert.rejects(store.get('k'), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
        assert.ok(Date.now() - started < 1400, 'failed on the 500 ms command timeout, before the pause ended');
      } finally {
        await raw.call('CLIENT', 'UNPAUSE').catch(() => {});
        raw.disconnect();
      }
      assert.equal(await store.get('k'), undefined, 'works again once Redis answers');
    });

    it('Redis restarting mid-test: operations fail fast, the component goes ERROR, then everything recovers, pub/sub included', async () => {
      const a = await openRedis('r:');
      const b = await openRedis('r:');
      const woken: string[] = [];
      await b.store.subscribe('wake', (m) => woken.push(m));
      await a.store.publish('wake', 'before');
      await waitForMessages(woken, 1, 'the message before the restart');

      await redis.restart(async () => {
        await waitUntil('both stores see the outage', async () => a.component.status().state === 'ERROR' && b.component.status().state === 'ERROR', { timeoutMs: 5000 });
        assert.match(a.component.status().message ?? '', /disconnected from Redis at 127\.0\.0\.1:\d+ since .+; reconnecting/);
        const attempts: Array<[string, () => Promise<unknown>]> = [
          ['get', () => a.store.get('k')],
          ['set', () => a.store.set('k', 'v', 1000)],
          ['setIfAbsent', () => a.store.setIfAbsent('k', 'v', 1000)],
          ['del', () => a.store.del('k')],
          ['increment', () => a.store.increment('c', 1000)],
          ['acquire', () => a.store.acquire('s', 1, 1000)],
          ['release', () => a.store.release('s')],
          ['update', () => a.store.update('k', () => 'v', 1000)],
          ['setAdd', () => a.store.setAdd('ids', 'x', 1000)],
          ['setRemove', () => a.store.setRemove('ids', 'x')],
          ['setMembers', () => a.store.setMembers('ids')],
          ['publish', () => a.store.publish('wake', 'lost')],
          ['subscribe', () => a.store.subscribe('other', () => {})],
        ];
        for (const [op, attempt] of attempts) {
          const started = Date.now();
          await assert.rejects(attempt(), (err: unknown) => err instanceof RegateError && err.code === 'REGATE_ERR_STORE_UNAVAILABLE', `${op} fails with STORE_UNAVAILABLE`);
          assert.ok(Date.now() - started < 1000, `${op} failed fast (${Date.now() - started} ms)`);
        }
      });

      await waitUntil('both stores reconnect', async () => a.component.status().state === 'OK' && b.component.status().state === 'OK', { timeoutMs: 15_000 });
      await a.store.set('k', 'after', 60_000);
      assert.equal(await b.store.get('k'), 'after');
      assert.equal(await a.store.increment('c', 60_000), 1);
      await a.store.publish('wake', 'after');
      await waitForMessages(woken, 2, 'the message after the restart (subscribed again)');
      assert.deepEqual(woken, ['before', 'after']);
    });
  });
});
