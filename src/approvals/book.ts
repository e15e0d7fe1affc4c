/**
 * The approval book: approval records in the shared store, every change applied atomically with
 * `store.update` (the pure transitions of record.ts run inside it, so two replicas racing give one
 * outcome), and a wake-up on the store's pub/sub channel for the replica that holds a call. A
 * lost message only delays: waiters re-read their record on a timer too.
 *
 * Keys (the store adds its prefix): `approval:rec:{id}` the record; `approval:pending` the ids of
 * pending requests (for listing); `approval:grant:{hash}` the latest request for one caller,
 * connection, tool and argument digest (async mode). Channel `approval:events` carries ids.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { RegateError } from '../errors.ts';
import type { Store, Unsubscribe } from '../store/store.ts';
import { cancel, effective, expire, isRefusal, use, vote, type ApprovalRecord, type CallIdentity, type Transition, type Voter } from './record.ts';

const RECORD = 'approval:rec:';
const PENDING = 'approval:pending';
const GRANT = 'approval:grant:';
const CONTINUATION = 'approval:cont:';
const EVENTS = 'approval:events';
/** Decided records stay readable this long (the API answers 409, not 404; the page shows them). */
const RETENTION_MS = 24 * 3600 * 1000;

/** What a transition attempt came to. */
export type Applied =
  | { readonly ok: true; readonly record: ApprovalRecord; readonly changed: boolean }
  | { readonly ok: false; readonly error: RegateError; readonly record?: ApprovalRecord };

/** How a wait for a decision ended. */
export type Settled =
  | { readonly kind: 'decided'; readonly record: ApprovalRecord }
  /** The record is gone from the store (e.g. Redis restarted empty): it can never be approved. */
  | { readonly kind: 'lost' }
  /** The deadline passed while the store could not be read: nothing is known, nothing runs. */
  | { readonly kind: 'unreachable'; readonly error: RegateError }
  | { readonly kind: 'aborted' };

export interface BookOptions {
  readonly store: Store;
  readonly log: Logger;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** Every state change this replica wrote (for metrics and notifiers). */
  readonly onChange?: (record: ApprovalRecord) => void;
}

/** A fresh unguessable id: 256 random bits. */
export function newApprovalId(): string {
  return randomBytes(32).toString('base64url');
}

/** The grant index key of one call identity (hashed: ids and digests stay out of key names). */
export function grantKey(c: CallIdentity): string {
  return GRANT + createHash('sha256').update(`${c.principal}\u0000${c.connection}\u0000${c.tool}\u0000${c.digest}`).digest('base64url');
}

const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** An approved call's open round trip with its upstream: the approval, the digest of the upstream's requestState, and whether a retry took it. */
interface Continuation {
  readonly id: string;
  readonly s: string | null;
  readonly used: boolean;
}

const continuationKey = (c: CallIdentity) => CONTINUATION + grantKey(c).slice(GRANT.length);
const stateDigest = (state: string) => createHash('sha256').update(state).digest('base64url');

function parseContinuation(raw: string | undefined): Continuation | undefined {
  if (raw === undefined) return undefined;
  try {
    const k = JSON.parse(raw) as Partial<Continuation>;
    return typeof k.id === 'string' && (typeof k.s === 'string' || k.s === null) && typeof k.used === 'boolean' ? { id: k.id, s: k.s, used: k.used } : undefined;
  } catch {
    return undefined;
  }
}

export class ApprovalBook {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #onChange: (record: ApprovalRecord) => void;
  readonly #wakers = new Map<string, Set<() => void>>();
  #subscription: Promise<Unsubscribe> | undefined;

  constructor(o: BookOptions) {
    this.#store = o.store;
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
    this.#onChange = o.onChange ?? (() => {});
  }

  now(): number {
    return this.#now();
  }

  /** Stores a new pending request (and, in async mode, points its call identity at it). */
  async create(r: ApprovalRecord): Promise<void> {
    const ttl = this.#ttlFor(r);
    await this.#store.set(RECORD + r.id, JSON.stringify(r), ttl);
    await this.#store.setAdd(PENDING, r.id, ttl);
    if (r.mode === 'async') {
      await this.#store.set(grantKey({ principal: r.requester.id, connection: r.connection, tool: r.tool, digest: r.digest }), r.id, ttl);
    }
    this.#announce(r);
  }

  /** The record as it stands now (expiry applied on read), or undefined for an unknown or forged id. */
  async get(id: string): Promise<ApprovalRecord | undefined> {
    if (!ID_SHAPE.test(id)) return undefined;
    const text = await this.#store.get(RECORD + id);
    return text === undefined ? undefined : effective(JSON.parse(text) as ApprovalRecord, this.#now());
  }

  /** The latest request for this call identity (async mode), if any. */
  async latestFor(c: CallIdentity): Promise<ApprovalRecord | undefined> {
    const id = await this.#store.get(grantKey(c));
    return id === undefined ? undefined : this.get(id);
  }

  /**
   * Remembers that the upstream answered approved call `approvalId` with `input_required` (2026):
   * the client's retry that continues that round trip (same call identity, the same `requestState`
   * echoed, or none when the upstream gave none) may ride on the approval once, within `ttlMs`.
   */
  async noteContinuation(c: CallIdentity, approvalId: string, requestState: string | undefined, ttlMs: number): Promise<void> {
    const value: Continuation = { id: approvalId, s: requestState === undefined ? null : stateDigest(requestState), used: false };
    await this.#store.set(continuationKey(c), JSON.stringify(value), ttlMs);
  }

  /** The approval a request continuing the upstream's round trip rides on, taken at most once; undefined when none matches. */
  async takeContinuation(c: CallIdentity, requestState: string | undefined): Promise<ApprovalRecord | undefined> {
    const want = requestState === undefined ? null : stateDigest(requestState);
    let id: string | undefined;
    const r = await this.#store.update(
      continuationKey(c),
      (cur) => {
        id = undefined;
        const k = parseContinuation(cur);
        if (k === undefined || k.used || k.s !== want) return undefined;
        id = k.id;
        return JSON.stringify({ ...k, used: true } satisfies Continuation);
      },
      60_000,
    );
    return r.written && id !== undefined ? this.get(id) : undefined;
  }

  /** Pending requests (expired ones are written down as such and left out). */
  async pending(): Promise<ApprovalRecord[]> {
    const ids = await this.#store.setMembers(PENDING);
    const out: ApprovalRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r?.status === 'pending') out.push(r);
      else if (r === undefined) await this.#store.setRemove(PENDING, id);
      else await this.expire(id);
    }
    return out.sort((a, b) => a.created_at - b.created_at);
  }

  vote(id: string, voter: Voter, decision: 'approve' | 'deny', comment: string | undefined): Promise<Applied> {
    return this.#apply(id, (r, now) => vote(r, voter, decision, comment, now), { by: voter.id });
  }

  cancel(id: string, why: string): Promise<Applied> {
    return this.#apply(id, (r, now) => cancel(r, why, now), {});
  }

  expire(id: string): Promise<Applied> {
    return this.#apply(id, (r, now) => expire(r, now), {});
  }

  use(id: string, call: CallIdentity): Promise<Applied> {
    return this.#apply(id, (r, now) => use(r, call, now), {});
  }

  /**
   * Waits until the request is no longer pending, the signal aborts, or (the store unreachable)
   * `deadline` (the request's expiry, ms since the epoch) passes. Wakes on the channel and re-reads every `recheckMs` regardless.
   */
  async settle(id: string, signal: AbortSignal, recheckMs: number, deadline: number): Promise<Settled> {
    await this.#subscribe();
    let wake: () => void = () => {};
    const wakers = this.#wakers.get(id) ?? new Set();
    this.#wakers.set(id, wakers);
    const waker = () => wake();
    wakers.add(waker);
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal.aborted) return { kind: 'aborted' };
        let wait = recheckMs;
        try {
          await this.#subscribe();
          const r = await this.get(id);
          if (r === undefined) return { kind: 'lost' };
          if (r.status !== 'pending') {
            if (r.status === 'expired') await this.expire(id).catch(() => {});
            return { kind: 'decided', record: r };
          }
          wait = Math.max(1, Math.min(recheckMs, r.expires_at - this.#now() + 1));
        } catch (err) {
          const e = err instanceof RegateError ? err : new RegateError('REGATE_ERR_STORE_UNAVAILABLE', (err as Error).message);
          this.#log.warn({ approval_id: id, code: e.code }, 'approval: cannot read the request; retrying');
          if (this.#now() >= deadline) return { kind: 'unreachable', error: e };
          wait = Math.max(1, Math.min(recheckMs, deadline - this.#now() + 1));
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      wakers.delete(waker);
      if (wakers.size === 0) this.#wakers.delete(id);
    }
  }

  /** Ends the channel subscription. */
  async close(): Promise<void> {
    const s = this.#subscription;
    this.#subscription = undefined;
    if (s) await (await s.catch(() => async () => {}))();
  }

  /** Subscribes once; a failed attempt is retried on the next call (timers cover the gap). */
  async #subscribe(): Promise<void> {
    this.#subscription ??= this.#store.subscribe(EVENTS, (id) => {
      for (const w of this.#wakers.get(id) ?? []) w();
    });
    try {
      await this.#subscription;
    } catch {
      this.#subscription = undefined;
    }
  }

  async #apply(id: string, step: (r: ApprovalRecord, now: number) => Transition, log: { by?: string }): Promise<Applied> {
    const first = await this.get(id);
    if (first === undefined) return { ok: false, error: new RegateError('REGATE_ERR_APPROVAL_NOT_FOUND', 'it does not exist or has been removed') };
    let outcome: Transition | undefined;
    // The step may run more than once (optimistic concurrency); the last run is the one that counts.
    await this.#store.update(
      RECORD + id,
      (text) => {
        if (text === undefined) {
          outcome = undefined;
          return undefined;
        }
        outcome = step(JSON.parse(text) as ApprovalRecord, this.#now());
        return isRefusal(outcome) || !outcome.changed ? undefined : JSON.stringify(outcome.record);
      },
      this.#ttlFor(first),
    );
    if (outcome === undefined) return { ok: false, error: new RegateError('REGATE_ERR_APPROVAL_NOT_FOUND', 'it has been removed') };
    if (isRefusal(outcome)) {
      const code = outcome.refused === 'forbidden' ? 'REGATE_ERR_APPROVAL_FORBIDDEN' : outcome.refused === 'gone' ? 'REGATE_ERR_APPROVAL_NOT_FOUND' : 'REGATE_ERR_APPROVAL_CONFLICT';
      return { ok: false, error: new RegateError(code, outcome.why), record: first };
    }
    const r = outcome.record;
    if (outcome.changed) {
      if (r.status !== 'pending') await this.#store.setRemove(PENDING, id).catch(() => {});
      this.#log.info(
        { approval_id: id, status: r.status, connection: r.connection, tool: r.tool, principal_id: r.requester.id, ...(log.by !== undefined ? { by: log.by } : {}), votes: r.votes.length, uses: r.uses },
        `approval: ${r.status}`,
      );
      this.#announce(r);
    }
    return { ok: true, record: r, changed: outcome.changed };
  }

  #announce(r: ApprovalRecord): void {
    // Local waiters wake at once; other replicas through the channel.
    for (const w of this.#wakers.get(r.id) ?? []) w();
    this.#store.publish(EVENTS, r.id).catch((err: unknown) => this.#log.warn({ err, approval_id: r.id }, 'approval: could not publish a change; holders will see it on their next re-read'));
    try {
      this.#onChange(r);
    } catch (err) {
      this.#log.error({ err, approval_id: r.id }, 'approval: change listener failed');
    }
  }

  #ttlFor(r: ApprovalRecord): number {
    return Math.max(1000, r.expires_at - this.#now()) + r.grant_ttl_ms + RETENTION_MS;
  }
}
