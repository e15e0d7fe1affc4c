/**
 * The embedded store: one process, no dependencies. Every operation runs synchronously inside
 * the returned promise, so read-modify-write is atomic by construction. Expired keys are dropped
 * when read, and all of them when the store is full; a store that is still full refuses new
 * state (REGATE_ERR_STORE_UNAVAILABLE) rather than evict live facts such as who owns a session.
 */
import { RegateError } from '../errors.ts';
import type { MessageHandler, Store, Unsubscribe, UpdateResult } from './store.ts';

export interface MemoryStoreOptions {
  /** Bound on stored state: keys plus set members. Default 100 000. */
  readonly maxEntries?: number;
  /** Clock in ms (tests). */
  readonly now?: () => number;
  /** Told about a subscriber's handler that threw. */
  readonly onHandlerError?: (err: unknown, channel: string) => void;
}

type Entry = { kind: 'value'; value: string; expiresAt: number } | { kind: 'set'; members: Set<string>; expiresAt: number };

export const DEFAULT_MAX_ENTRIES = 100_000;

export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>();
  readonly #channels = new Map<string, Set<MessageHandler>>();
  readonly #max: number;
  readonly #now: () => number;
  readonly #onHandlerError: (err: unknown, channel: string) => void;
  /** Keys plus set members, the unit of `maxEntries`. */
  #size = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
    this.#onHandlerError = options.onHandlerError ?? (() => {});
  }

  async get(key: string): Promise<string | undefined> {
    return this.#value(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#writeValue(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#writeValue(key, value, ttlMs);
    return true;
  }

  async del(key: string): Promise<void> {
    this.#open();
    this.#remove(key);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.#value(key);
    const next = counterValue(entry?.value, key) + 1;
    if (entry === undefined) this.#writeValue(key, String(next), ttlMs);
    else entry.value = String(next);
    return next;
  }

  async acquire(key: string, max: number, ttlMs: number): Promise<boolean> {
    const entry = this.#value(key);
    const count = counterValue(entry?.value, key);
    if (count >= max) return false;
    this.#writeValue(key, String(count + 1), ttlMs);
    return true;
  }

  async release(key: string): Promise<void> {
    const entry = this.#value(key);
    const count = counterValue(entry?.value, key);
    if (entry === undefined) return;
    if (count <= 1) this.#remove(key);
    else entry.value = String(count - 1);
  }

  async update(key: string, fn: (current: string | undefined) => string | undefined, ttlMs: number): Promise<UpdateResult> {
    const current = this.#value(key)?.value;
    const next = fn(current);
    if (next === undefined) return { value: current, written: false };
    this.#writeValue(key, next, ttlMs);
    return { value: next, written: true };
  }

  async setAdd(key: string, member: string, ttlMs: number): Promise<void> {
    const entry = this.#set(key);
    const expiresAt = this.#now() + ttlMs;
    if (entry === undefined) {
      this.#reserve(2);
      this.#entries.set(key, { kind: 'set', members: new Set([member]), expiresAt });
      this.#size += 2;
      return;
    }
    if (!entry.members.has(member)) {
      this.#reserve(1);
      entry.members.add(member);
      this.#size += 1;
    }
    entry.expiresAt = expiresAt;
  }

  async setRemove(key: string, member: string): Promise<void> {
    const entry = this.#set(key);
    if (entry === undefined || !entry.members.delete(member)) return;
    this.#size -= 1;
    if (entry.members.size === 0) this.#remove(key);
  }

  async setMembers(key: string): Promise<string[]> {
    return [...(this.#set(key)?.members ?? [])];
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#open();
    // Delivered on a later turn, as from Redis: a publisher never runs subscribers' code inline.
    for (const handler of this.#channels.get(channel) ?? []) {
      setImmediate(() => {
        try {
          handler(message);
        } catch (err) {
          this.#onHandlerError(err, channel);
        }
      });
    }
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.#open();
    let handlers = this.#channels.get(channel);
    if (handlers === undefined) this.#channels.set(channel, (handlers = new Set()));
    // A wrapper per subscription, so subscribing one function twice gives two subscriptions.
    const subscription: MessageHandler = (message) => handler(message);
    handlers.add(subscription);
    return async () => {
      handlers.delete(subscription);
      if (handlers.size === 0 && this.#channels.get(channel) === handlers) this.#channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    this.#channels.clear();
    this.#size = 0;
  }

  /** Keys plus set members held now (expired ones included until swept). */
  get size(): number {
    return this.#size;
  }

  #open(): void {
    if (this.#closed) throw new RegateError('REGATE_ERR_STORE_UNAVAILABLE', 'the store is closed');
  }

  /** The live entry of any kind, dropping it when expired. */
  #live(key: string): Entry | undefined {
    this.#open();
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#remove(key);
      return undefined;
    }
    return entry;
  }

  #value(key: string): (Entry & { kind: 'value' }) | undefined {
    const entry = this.#live(key);
    if (entry !== undefined && entry.kind !== 'value') throw wrongKind(key);
    return entry;
  }

  #set(key: string): (Entry & { kind: 'set' }) | undefined {
    const entry = this.#live(key);
    if (entry !== undefined && entry.kind !== 'set') throw wrongKind(key);
    return entry;
  }

  #writeValue(key: string, value: string, ttlMs: number): void {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.#reserve(1);
      this.#size += 1;
    } else if (entry.kind === 'set') {
      this.#size -= entry.members.size;
    }
    this.#entries.set(key, { kind: 'value', value, expiresAt: this.#now() + ttlMs });
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#size -= entry.kind === 'set' ? entry.members.size + 1 : 1;
  }

  /** Makes room for `units` more, sweeping expired keys when full; refuses when still full. */
  #reserve(units: number): void {
    if (this.#size + units <= this.#max) return;
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (now >= entry.expiresAt) this.#remove(key);
    if (this.#size + units > this.#max) {
      throw new RegateError('REGATE_ERR_STORE_UNAVAILABLE', `the in-memory store is full (${this.#max} entries); configure redis for more state`);
    }
  }
}

function wrongKind(key: string): RegateError {
  return new RegateError('REGATE_ERR_INTERNAL', `store key "${key}" holds another kind of value`);
}

function counterValue(value: string | undefined, key: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RegateError('REGATE_ERR_INTERNAL', `store key "${key}" does not hold a counter`);
  return n;
}
