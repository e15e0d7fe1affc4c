/**
 * Shared state: the facts that every replica of regate must agree on (who owns a session, call
 * counts, slots of a concurrency limit, approvals) behind one small interface, with two
 * implementations that pass one contract suite (test/integration/store/contract.test.ts):
 *
 * - `MemoryStore` (memory-store.ts): the embedded default; one process, bounded, TTLs honoured.
 * - `RedisStore` (redis-store.ts): every replica shares one Redis; keys and channels carry a prefix.
 *
 * Values are strings (callers JSON-encode). Every write takes a TTL in milliseconds, so no key
 * outlives its use when a replica dies holding it. Every method may reject with
 * REGATE_ERR_STORE_UNAVAILABLE (503) when the store cannot be reached: it fails fast, never
 * hangs, and the caller decides what that means (a security decision fails closed).
 */

/** What `update` did: the value stored afterwards, and whether this call wrote it. */
export interface UpdateResult {
  readonly value: string | undefined;
  readonly written: boolean;
}

/** Handles one message published on a channel; must not throw (errors are logged and dropped). */
export type MessageHandler = (message: string) => void;

/** Ends one subscription; idempotent. */
export type Unsubscribe = () => Promise<void>;

export interface Store {
  // --- plain values
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs`, replacing any value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores `value` for `ttlMs` only if the key is absent; true when this call stored it (e.g. claim a session). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes a key of any kind; absent keys are fine. */
  del(key: string): Promise<void>;

  // --- counters
  /** Adds 1 and returns the new count; the TTL is set by the increment that creates the counter. */
  increment(key: string, ttlMs: number): Promise<number>;
  /**
   * Takes one slot of a bounded counter: adds 1 and returns true if the count was below `max`,
   * else returns false and changes nothing. Each acquire renews the TTL, a safety net that frees
   * the slots of a replica that died before releasing them.
   */
  acquire(key: string, max: number, ttlMs: number): Promise<boolean>;
  /** Gives back one slot taken by `acquire` (never below zero). */
  release(key: string): Promise<void>;

  // --- records
  /**
   * Atomic read-modify-write of one value: `fn` gets the current value (undefined when absent)
   * and returns the next value, or undefined to leave it unchanged. `fn` may run more than once
   * when another writer races (optimistic concurrency), so it must be pure. A written value gets
   * `ttlMs`.
   */
  update(key: string, fn: (current: string | undefined) => string | undefined, ttlMs: number): Promise<UpdateResult>;

  // --- sets (e.g. the ids of pending approvals, for listing)
  /** Adds `member` to the set at `key` and renews the set's TTL. */
  setAdd(key: string, member: string, ttlMs: number): Promise<void>;
  /** Removes `member`; the set disappears with its last member. */
  setRemove(key: string, member: string): Promise<void>;
  /** Every member, in no particular order; [] when the set is absent. */
  setMembers(key: string): Promise<string[]>;

  // --- pub/sub (e.g. wake a held call on the replica that holds it)
  /**
   * Sends `message` to every subscriber of `channel` on every replica, at most once: a subscriber
   * that is disconnected at that moment misses it, so consumers re-read state rather than rely on
   * messages alone.
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `handler` for each message on `channel` until the returned function is called. Resolves
   * once the subscription is live; survives reconnects (the store subscribes again).
   */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /** Releases connections and timers; the store is unusable afterwards. */
  close(): Promise<void>;
}
