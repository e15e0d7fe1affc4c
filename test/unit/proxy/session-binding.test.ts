import assert from 'node:assert/strict';
import { SessionBindings } from '../../../src/proxy/session-binding.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';

describe('session bindings', () => {
  let now = 1_000_000;
  const clock = () => now;
  const make = (o: { max?: number; hashKey?: string } = {}) =>
    new SessionBindings({ store: new MemoryStore({ now: clock }), ttlMs: 60_000, maxPerPrincipal: o.max ?? 2, hashKey: o.hashKey, now: clock });

  it('knows the owner, and answers "unknown" alike for another principal and for an id never issued', async () => {
    const b = make();
    assert.equal(await b.bind('alice', 'crm', 's1'), true);
    assert.equal(await b.check('alice', 'crm', 's1'), 'owner');
    assert.equal(await b.check('mallory', 'crm', 's1'), 'unknown');
    assert.equal(await b.check('alice', 'crm', 'never-issued'), 'unknown');
    assert.equal(await b.check('alice', 'other', 's1'), 'unknown', 'a session belongs to one connection');
  });

  it('forgets an idle session after its TTL, and keeps a used one alive', async () => {
    const b = make();
    await b.bind('alice', 'crm', 'idle');
    await b.bind('alice', 'crm', 'busy');
    for (let i = 0; i < 4; i++) {
      now += 20_000;
      assert.equal(await b.check('alice', 'crm', 'busy'), 'owner');
    }
    assert.equal(await b.check('alice', 'crm', 'idle'), 'unknown');
  });

  it('remembers that the session\'s client answers forms, through renewals, for its owner only', async () => {
    const b = make();
    await b.bind('alice', 'crm', 'forms', true);
    await b.bind('alice', 'crm', 'plain');
    for (let i = 0; i < 3; i++) {
      now += 20_000;
      assert.equal(await b.check('alice', 'crm', 'forms'), 'owner_answers_forms');
      assert.equal(await b.check('alice', 'crm', 'plain'), 'owner');
    }
    assert.equal(await b.check('mallory', 'crm', 'forms'), 'unknown');
  });

  it('refuses a session beyond the principal\'s maximum until one ends or expires', async () => {
    const b = make({ max: 2 });
    assert.equal(await b.bind('bob', 'crm', 'a'), true);
    assert.equal(await b.bind('bob', 'crm', 'b'), true);
    assert.equal(await b.bind('bob', 'crm', 'c'), false);
    assert.equal(b.recentlyFull('bob'), true);
    assert.equal(b.recentlyFull('carol'), false);
    assert.equal(await b.bind('carol', 'crm', 'c'), true, 'the maximum is per principal');
    await b.end('bob', 'crm', 'a');
    assert.equal(b.recentlyFull('bob'), false);
    assert.equal(await b.check('bob', 'crm', 'a'), 'unknown');
    assert.equal(await b.bind('bob', 'crm', 'd'), true);
    now += 61_000;
    assert.equal(await b.bind('bob', 'crm', 'e'), true, 'expired sessions no longer count');
  });

  it('stands for an id by a keyed hash: stable per key, never the id, different under another key', () => {
    const k1 = make({ hashKey: 'k'.repeat(32) });
    const k1again = make({ hashKey: 'k'.repeat(32) });
    const k2 = make({ hashKey: 'x'.repeat(32) });
    const id = '6f1c1a5e-3d9b-4c1e-9a57-0c2b7d0e9f11';
    assert.equal(k1.ref(id), k1again.ref(id));
    assert.notEqual(k1.ref(id), k2.ref(id));
    assert.ok(!k1.ref(id).includes(id.slice(0, 8)));
    assert.notEqual(make().ref(id), make().ref(id), 'without a key, each process draws its own');
  });

  it('hashes a made-up long id every time instead of keeping it (9,999 of 15 KB would keep ~150 MB)', () => {
    const b = make({ hashKey: 'k'.repeat(32) });
    const long = (n: number) => `${n}-${'x'.repeat(15_000)}`;
    for (let i = 0; i < 20; i++) b.ref(long(i));
    assert.equal(b.rememberedRefs, 0);
    assert.equal(b.ref(long(1)), make({ hashKey: 'k'.repeat(32) }).ref(long(1)), 'the same ref, kept or not');
    b.ref('6f1c1a5e-3d9b-4c1e-9a57-0c2b7d0e9f11');
    assert.equal(b.rememberedRefs, 1, 'an id of a usual length is remembered');
  });
});
