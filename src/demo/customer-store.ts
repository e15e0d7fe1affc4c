/**
 * The demo CRM's in-memory table. One store is shared by every MCP session of a demo server, so a
 * tier change or a deletion made by one agent is visible to the next, as in a real CRM.
 * Returned records are copies: callers cannot change the table except through the methods.
 */
import { generateCustomers, type Customer, type Tier } from './customers.ts';

export interface Page {
  readonly customers: Customer[];
  readonly total: number;
  /** Offset of the next page, or null on the last page. */
  readonly next_offset: number | null;
}

export interface TierChange {
  readonly customer: Customer;
  readonly previous_tier: Tier;
}

/** Fields a free-text search looks at. Card numbers and IBANs are deliberately not searchable. */
const SEARCHABLE: ReadonlyArray<keyof Customer> = ['id', 'name', 'email', 'address', 'country', 'tier', 'notes'];

export class CustomerStore {
  readonly #rows = new Map<string, Customer>();

  constructor(customers: readonly Customer[] = generateCustomers()) {
    for (const c of customers) this.#rows.set(c.id, { ...c });
  }

  /** Number of customers currently in the table. */
  get size(): number {
    return this.#rows.size;
  }

  /** One page of customers in id order. */
  list(offset: number, limit: number): Page {
    const all = [...this.#rows.values()];
    const customers = all.slice(offset, offset + limit).map((c) => ({ ...c }));
    const next = offset + customers.length;
    return { customers, total: all.length, next_offset: next < all.length ? next : null };
  }

  /** Every customer (optionally only one tier), in id order. */
  all(tier?: Tier): Customer[] {
    return [...this.#rows.values()].filter((c) => tier === undefined || c.tier === tier).map((c) => ({ ...c }));
  }

  /** The customer with this id, or undefined. */
  get(id: string): Customer | undefined {
    const c = this.#rows.get(id);
    return c ? { ...c } : undefined;
  }

  /** Customers whose searchable fields contain every word of `query` (case- and accent-insensitive). */
  search(query: string, limit: number): { customers: Customer[]; total: number } {
    const words = fold(query).split(/\s+/).filter(Boolean);
    const hits = [...this.#rows.values()].filter((c) => {
      const haystack = fold(SEARCHABLE.map((k) => String(c[k])).join(' '));
      return words.every((w) => haystack.includes(w));
    });
    return { customers: hits.slice(0, limit).map((c) => ({ ...c })), total: hits.length };
  }

  /** Sets a customer's tier; setting the tier it already has changes nothing (idempotent). */
  updateTier(id: string, tier: Tier): TierChange | undefined {
    const c = this.#rows.get(id);
    if (!c) return undefined;
    const updated = { ...c, tier };
    this.#rows.set(id, updated);
    return { customer: { ...updated }, previous_tier: c.tier };
  }

  /** Removes a customer and returns the removed record, or undefined when there was none. */
  delete(id: string): Customer | undefined {
    const c = this.#rows.get(id);
    if (!c) return undefined;
    this.#rows.delete(id);
    return { ...c };
  }
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
