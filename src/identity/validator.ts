import { hash } from 'node:crypto';
import { ExpiringLru } from './expiring-lru.ts';
import type { Principal } from './principal.ts';

/** Turns a bearer token into a Principal, or throws (AuthError for bad tokens, RegateError 503 for outages). */
export interface TokenValidator {
  validate(token: string): Promise<Principal>;
}

export interface TokenCacheOptions {
  readonly maxEntries: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** Hit/miss counters, for metrics and tests. */
export interface TokenCacheStats {
  hits: number;
  misses: number;
}

/**
 * Wraps a validator with a cache of validated tokens, keyed by the token's SHA-256 (raw tokens are
 * never kept as keys) and kept until the token's `exp`. Failures are not cached: an attacker's
 * garbage costs a signature check, never a cache slot. A token revoked at the IdP stays accepted
 * until it expires; that is already true of every JWT that is not introspected.
 */
export class CachingValidator implements TokenValidator {
  readonly #inner: TokenValidator;
  readonly #cache: ExpiringLru<Principal>;
  readonly #now: () => number;
  readonly stats: TokenCacheStats = { hits: 0, misses: 0 };

  constructor(inner: TokenValidator, options: TokenCacheOptions) {
    this.#inner = inner;
    this.#cache = new ExpiringLru(options.maxEntries);
    this.#now = options.now;
  }

  async validate(token: string): Promise<Principal> {
    // One-shot hash: no Hash object per call (this runs on every authenticated request).
    const key = hash('sha256', token, 'base64url');
    const cached = this.#cache.get(key, this.#now());
    if (cached !== undefined) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const principal = freezePrincipal(await this.#inner.validate(token));
    this.#cache.set(key, principal, principal.expires_at * 1000);
    return principal;
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#cache.size;
  }
}

/** Freezes a principal and its lists: a cached principal is shared by every request that presents the token. */
export function freezePrincipal(p: Principal): Principal {
  if (Object.isFrozen(p)) return p;
  Object.freeze(p.groups);
  Object.freeze(p.roles);
  Object.freeze(p.scopes);
  return Object.freeze(p);
}
