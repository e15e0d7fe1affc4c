/**
 * A memo of a string function for keys that repeat (a session's id on every request of its
 * session), with a bounded footprint: it keeps at most `max` keys and forgets them all at once
 * when full (simpler than an LRU; a miss only costs one computation), and a key longer than
 * `maxKeyLength` is computed every time and never kept, so made-up ids cannot make it hold much.
 */
export class CappedMemo {
  readonly #compute: (key: string) => string;
  readonly #max: number;
  readonly #maxKeyLength: number;
  readonly #values = new Map<string, string>();

  constructor(compute: (key: string) => string, o: { readonly max?: number; readonly maxKeyLength?: number } = {}) {
    this.#compute = compute;
    this.#max = o.max ?? MAX_REMEMBERED;
    this.#maxKeyLength = o.maxKeyLength ?? MAX_REMEMBERED_KEY;
  }

  /** `compute(key)`, remembered when the key is short enough. */
  get(key: string): string {
    if (key.length > this.#maxKeyLength) return this.#compute(key);
    let value = this.#values.get(key);
    if (value === undefined) {
      if (this.#values.size >= this.#max) this.#values.clear();
      value = this.#compute(key);
      this.#values.set(key, value);
    }
    return value;
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.#values.size;
  }
}

const MAX_REMEMBERED = 10_000;
/** Session ids are UUID-sized; anything far longer is made up. */
const MAX_REMEMBERED_KEY = 256;
