import assert from 'node:assert/strict';
import { ExpiringLru } from '../../../src/identity/expiring-lru.ts';
import type { Principal } from '../../../src/identity/principal.ts';
import { CachingValidator, type TokenValidator } from '../../../src/identity/validator.ts';

const principal = (id: string, expiresAt: number): Principal => ({
  type: 'user', id, name: id, tenant: 't', groups: ['g'], roles: [], scopes: [], client_id: 'c', issuer: 'i', expires_at: expiresAt,
});

/** A validator that accepts tokens "ok-<id>" expiring at 1000 s, and counts its calls. */
function countingValidator(): TokenValidator & { calls: number } {
  const v = {
    calls: 0,
    async validate(token: string): Promise<Principal> {
      v.calls++;
      if (!token.startsWith('ok-')) throw new Error('rejected');
      return principal(token.slice(3), 1000);
    },
  };
  return v;
}

describe('validated-token cache', () => {
  it('answers a repeated token from the cache until its exp, then validates again', async () => {
    let now = 10_000;
    const inner = countingValidator();
    const cached = new CachingValidator(inner, { maxEntries: 10, now: () => now });
    const first = await cached.validate('ok-alice');
    assert.equal(await cached.validate('ok-alice'), first);
    assert.equal(inner.calls, 1);
    assert.deepEqual(cached.stats, { hits: 1, misses: 1 });
    now = 1_000_000; // = exp in ms: expired
    await cached.validate('ok-alice');
    assert.equal(inner.calls, 2);
  });

  it('never caches a rejection', async () => {
    const inner = countingValidator();
    const cached = new CachingValidator(inner, { maxEntries: 10, now: () => 0 });
    await assert.rejects(cached.validate('bad'));
    await assert.rejects(cached.validate('bad'));
    assert.equal(inner.calls, 2);
    assert.equal(cached.size, 0);
  });

  it('shares a frozen principal, so no request can change what the next one sees', async () => {
    const cached = new CachingValidator(countingValidator(), { maxEntries: 10, now: () => 0 });
    const p = await cached.validate('ok-bob');
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.groups));
    assert.throws(() => (p.groups as string[]).push('admins'), TypeError);
  });

  it('stays within its size bound, evicting the least recently used token', async () => {
    const inner = countingValidator();
    const cached = new CachingValidator(inner, { maxEntries: 2, now: () => 0 });
    await cached.validate('ok-a');
    await cached.validate('ok-b');
    await cached.validate('ok-a'); // a is now the most recent
    await cached.validate('ok-c'); // evicts b
    assert.equal(cached.size, 2);
    await cached.validate('ok-a');
    assert.equal(inner.calls, 3);
    await cached.validate('ok-b');
    assert.equal(inner.calls, 4);
  });
});

describe('ExpiringLru', () => {
  it('drops an entry at its expiry time', () => {
    const lru = new ExpiringLru<string>(5);
    lru.set('k', 'v', 100);
    assert.equal(lru.get('k', 99), 'v');
    assert.equal(lru.get('k', 100), undefined);
    assert.equal(lru.size, 0);
  });

  it('refuses a size below one', () => {
    assert.throws(() => new ExpiringLru(0), RangeError);
  });
});
