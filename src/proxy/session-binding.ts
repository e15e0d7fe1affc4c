/**
 * Streamable HTTP sessions bound to the principal that initialized them. The upstream sees only
 * the gateway's credential, so only regate can tell whose session an `Mcp-Session-Id` is: the id
 * the upstream issues in an `initialize` answer is recorded in the shared store with its owner,
 * and a request carrying an id regate never saw issued, or one owned by another principal, is
 * refused with the same 404 (so the answer never confirms that an id exists).
 *
 * Store keys never hold a raw session id either: they use its SHA-256 (the same on every replica,
 * whatever its hash key). Logs show `ref`, a keyed hash, in place of the id.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { CappedMemo } from '../util/capped-memo.ts';
import { sessionDigest } from '../util/session-digest.ts';

export interface SessionBindingOptions {
  readonly store: Store;
  /** Idle time after which a binding is forgotten; every use renews it. */
  readonly ttlMs: number;
  /** HMAC key for `ref`; random per process when absent. */
  readonly hashKey?: string | undefined;
  /** Live sessions one principal may own at once. */
  readonly maxPerPrincipal: number;
  /** Clock (ms); injectable for tests. */
  readonly now?: () => number;
}

/** What a binding records: the owner, when the binding was last renewed, and (f: 1) that its client answers form elicitations. */
interface Binding {
  readonly p: string;
  readonly r: number;
  readonly f?: 1;
}

/** The sessions a principal owns: ref -> expiry (ms since the epoch). */
type Owned = Record<string, number>;

/** `owner_answers_forms`: the caller owns it, and its client declared form elicitation at initialize. */
export type SessionCheck = 'owner' | 'owner_answers_forms' | 'unknown';

export class SessionBindings {
  readonly #store: Store;
  readonly #ttlMs: number;
  readonly #key: Buffer;
  readonly #max: number;
  readonly #now: () => number;
  /** Principals refused a session recently, until when (this process): their next initialize is refused without asking the upstream. */
  readonly #full = new Map<string, number>();
  /** A session's requests repeat its id, and an HMAC costs ~30 us (its key setup): remembered. */
  readonly #refs: CappedMemo;

  constructor(o: SessionBindingOptions) {
    this.#store = o.store;
    this.#ttlMs = o.ttlMs;
    this.#key = o.hashKey !== undefined ? Buffer.from(o.hashKey, 'utf8') : randomBytes(32);
    this.#max = o.maxPerPrincipal;
    this.#now = o.now ?? Date.now;
    this.#refs = new CappedMemo((sessionId) => createHmac('sha256', this.#key).update(sessionId).digest('base64url').slice(0, 22));
  }

  /** The keyed hash that stands for a session id in logs (cannot be replayed). */
  ref(sessionId: string): string {
    return this.#refs.get(sessionId);
  }

  /** How many refs are remembered (for tests: a made-up long id is never kept). */
  get rememberedRefs(): number {
    return this.#refs.size;
  }

  /**
   * Whether `principal` owns the session on `connection`; renews the binding when it does (at most
   * once per tenth of the TTL, so a busy session costs one store read per request). Rejects with
   * REGATE_ERR_STORE_UNAVAILABLE when the store cannot answer.
   */
  async check(principal: string, connection: string, sessionId: string): Promise<SessionCheck> {
    const ref = storeRef(sessionId);
    const raw = await this.#store.get(bindingKey(connection, ref));
    const b = parseBinding(raw);
    if (b === undefined || b.p !== principal) return 'unknown';
    const now = this.#now();
    if (now - b.r > this.#ttlMs / 10) {
      await this.#store.set(bindingKey(connection, ref), JSON.stringify({ ...b, r: now } satisfies Binding), this.#ttlMs);
      await this.#store.update(ownedKey(principal), (cur) => JSON.stringify({ ...live(cur, now), [`${connection}\u0000${ref}`]: now + this.#ttlMs }), this.#ttlMs);
    }
    return b.f === 1 ? 'owner_answers_forms' : 'owner';
  }

  /**
   * Records `principal` as the owner of a session the upstream just issued. False when the
   * principal already owns `maxPerPrincipal` live sessions (nothing is recorded then). `answersForms`:
   * the client declared form elicitation in its `initialize` (regate may then ask it for a justification).
   */
  async bind(principal: string, connection: string, sessionId: string, answersForms = false): Promise<boolean> {
    const ref = storeRef(sessionId);
    const member = `${connection}\u0000${ref}`;
    const now = this.#now();
    const expires = now + this.#ttlMs;
    const max = this.#max;
    const r = await this.#store.update(
      ownedKey(principal),
      (cur) => {
        const owned = live(cur, now);
        if (!(member in owned) && Object.keys(owned).length >= max) return undefined;
        return JSON.stringify({ ...owned, [member]: expires });
      },
      this.#ttlMs,
    );
    if (!r.written) {
      if (this.#full.size >= 10_000) this.#full.clear();
      this.#full.set(principal, now + FULL_MEMORY_MS);
      return false;
    }
    this.#full.delete(principal);
    await this.#store.set(bindingKey(connection, ref), JSON.stringify({ p: principal, r: now, ...(answersForms ? { f: 1 } : {}) } satisfies Binding), this.#ttlMs);
    return true;
  }

  /**
   * True for a short while after `principal` was refused a session: a client that keeps calling
   * initialize is then refused before its request reaches the upstream (which would make a session
   * only for regate to end it again).
   */
  recentlyFull(principal: string): boolean {
    const until = this.#full.get(principal);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#full.delete(principal);
    return false;
  }

  /** Forgets a session its owner ended (DELETE). */
  async end(principal: string, connection: string, sessionId: string): Promise<void> {
    const ref = storeRef(sessionId);
    const member = `${connection}\u0000${ref}`;
    const now = this.#now();
    this.#full.delete(principal);
    await this.#store.del(bindingKey(connection, ref));
    await this.#store.update(
      ownedKey(principal),
      (cur) => {
        const owned = live(cur, now);
        if (!(member in owned)) return undefined;
        delete owned[member];
        return JSON.stringify(owned);
      },
      this.#ttlMs,
    );
  }
}

/** How long a refused principal's new sessions are refused locally (its Retry-After). */
const FULL_MEMORY_MS = 1000;

/** A session's name in store keys: the same for every replica, never the id itself. */
const storeRef = sessionDigest;

const bindingKey = (connection: string, ref: string) => `session:${connection}:${ref}`;
const ownedKey = (principal: string) => `sessions-of:${principal}`;

function parseBinding(raw: string | undefined): Binding | undefined {
  if (raw === undefined) return undefined;
  try {
    const b = JSON.parse(raw) as Partial<Binding>;
    return typeof b.p === 'string' && typeof b.r === 'number' ? { p: b.p, r: b.r, ...(b.f === 1 ? { f: 1 } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** The owned sessions that have not expired (a fresh object, safe to change). */
function live(raw: string | undefined, now: number): Owned {
  const out: Owned = {};
  if (raw === undefined) return out;
  try {
    for (const [k, v] of Object.entries(JSON.parse(raw) as Record<string, unknown>)) if (typeof v === 'number' && v > now) out[k] = v;
  } catch {
    // A damaged record counts as no sessions: the bindings themselves still decide ownership.
  }
  return out;
}
