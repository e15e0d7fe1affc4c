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

  constructor(capacity = DEFAULT_DEDUPE_CAPACITY) {
    this.capacity = Math.max(1, capacity);
  }

  /** True the first time an id is seen (within the window); remembers it, forgetting the oldest id when full. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) {
      // A Set iterates in insertion order: the first value is the oldest.
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}
