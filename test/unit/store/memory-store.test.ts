import assert from 'node:assert/strict';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { storeError } from '../../../src/store/redis-store.ts';

describe('store: the in-memory store (beyond the shared contract)', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('honours TTLs on its clock', async () => {
    const s = new MemoryStore({ now: clock });
    await s.set('k', 'v', 1000);
    now += 999;
    assert.equal(await s.get('k'), 'v');
    now += 1;
    assert.equal(await s.get('k'), undefined);
  });

  it('is bounded: when full of live state it refuses new keys rather than evict a live one', async () => {
    const s = new MemoryStore({ now: clock, maxEntries: 4 });
    await s.setIfAbsent('session:1', 'alice', 60_000);
    await s.set('a', '1', 60_000);
    await s.setAdd('ids', 'x', 60_000);
    assert.equal(s.size, 4, 'a set counts itself and each member');
    await assert.rejects(s.set('b', '2', 60_000), { code: 'REGATE_ERR_STORE_UNAVAILABLE', message: /in-memory store is full \(4 entries\)/ });
    await assert.rejects(s.setAdd('ids', 'y', 60_000), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
    await assert.rejects(s.increment('c', 60_000), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
    assert.equal(await s.get('session:1'), 'alice', 'nothing live was evicted');
    await s.set('a', 'changed', 60_000);
    assert.equal(await s.get('a'), 'changed', 'existing keys can still change');
  });

  it('makes room by sweeping expired keys when full', async () => {
    const s = new MemoryStore({ now: clock, maxEntries: 3 });
    await s.set('old1', 'v', 10);
    await s.setAdd('old2', 'm', 10);
    now += 10;
    await s.set('new', 'v', 60_000);
    assert.equal(s.size, 1);
    assert.equal(await s.get('new'), 'v');
  });

  it('keeps its size right as values become sets and back, and as members come and go', async () => {
    const s = new MemoryStore({ now: clock });
    await s.setAdd('k', 'a', 60_000);
    await s.setAdd('k', 'b', 60_000);
    assert.equal(s.size, 3);
    await s.set('k', 'v', 60_000);
    assert.equal(s.size, 1);
    await s.del('k');
    assert.equal(s.size, 0);
    await s.acquire('slots', 2, 60_000);
    await s.release('slots');
    assert.equal(s.size, 0, 'the counter goes with its last slot');
  });

  it('refuses to use a key as another kind of value, as Redis does', async () => {
    const s = new MemoryStore({ now: clock });
    await s.setAdd('ids', 'x', 60_000);
    await s.set('text', 'not a number', 60_000);
    await assert.rejects(s.get('ids'), { code: 'REGATE_ERR_INTERNAL' });
    await assert.rejects(s.setMembers('text'), { code: 'REGATE_ERR_INTERNAL' });
    await assert.rejects(s.increment('text', 60_000), { code: 'REGATE_ERR_INTERNAL' });
  });

  it('fails every operation once closed', async () => {
    const s = new MemoryStore();
    await s.close();
    await assert.rejects(s.get('k'), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
    await assert.rejects(s.publish('c', 'm'), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
  });
});

describe('store: Redis failures in the error catalogue', () => {
  const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
  const cases: Array<[name: string, err: unknown, code: string]> = [
    ['a dropped connection', new Error('Connection is closed.'), 'REGATE_ERR_STORE_UNAVAILABLE'],
    ['the offline queue refusal', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'REGATE_ERR_STORE_UNAVAILABLE'],
    ['a command timeout', new Error('Command timed out'), 'REGATE_ERR_STORE_UNAVAILABLE'],
    ['Redis out of memory', replyError('OOM command not allowed when used memory > maxmemory'), 'REGATE_ERR_STORE_UNAVAILABLE'],
    ['Redis loading its data', replyError('LOADING Redis is loading the dataset in memory'), 'REGATE_ERR_STORE_UNAVAILABLE'],
    ['a wrong password', replyError('WRONGPASS invalid username-password pair'), 'REGATE_ERR_STORE_UNAVAILABLE'],
    ['a command on the wrong kind of key (a bug)', replyError('WRONGTYPE Operation against a key holding the wrong kind of value'), 'REGATE_ERR_INTERNAL'],
  ];
  for (const [name, err, code] of cases) {
    it(`${name} -> ${code}`, () => {
      const e = storeError(err);
      assert.equal(e.code, code);
      assert.equal(e.cause, err, 'the original error stays as the cause, for the log');
    });
  }
});
