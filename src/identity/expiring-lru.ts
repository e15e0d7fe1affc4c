/**
 * A bounded map whose entries expire at a given time, evicting the least recently used entry when
 * full. Used for validated tokens and for Graph group lookups; a Map keeps insertion order, so
 * "touch" is delete + set and the oldest entry is the first key.
 */
export class ExpiringLru<V> {
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#max = maxEntries;
  }

  /** The value if present and `now` is before its expiry (ms); expired entries are dropped. */
  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores a value until `expiresAt` (ms since the epoch). */
  set(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
