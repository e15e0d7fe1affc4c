/**
 * A bounded set of the most recently seen event ids, for deduplicating an at-least-once stream
 * without holding a month of ids. Copies of one event come from one redelivery (a lost answer, a
 * claimed batch), so they sit close together in the transcript: the default capacity of 262,144
 * ids (about 30 MB) catches a duplicate arriving within that many events of its original. A
 * duplicate further away than `capacity` events is counted twice; the review reports the capacity.
 */
export const DEFAULT_DEDUPE_CAPACITY = 262_144;

export class RecentIds {
  readonly capacity: number;
  readonly #ids = new Set<string>();
  /**
   * Insertion order as a ring: the slot about to be overwritten holds the oldest id. (Evicting
   * with `set.values().next()` instead is quadratic in V8: deleted entries at the head of a Set
   * stay as holes that every such iteration walks past.)
   */
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(capacity = DEFAULT_DEDUPE_CAPACITY) {
    this.capacity = Math.max(1, capacity);
    this.#ring = new Array<string | undefined>(this.capacity);
  }

  /** True the first time an id is seen (within the window); remembers it, forgetting the oldest id when full. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    const oldest = this.#ring[this.#next];
    if (oldest !== undefined) this.#ids.delete(oldest);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.capacity;
    this.#ids.add(id);
    return true;
  }
}
