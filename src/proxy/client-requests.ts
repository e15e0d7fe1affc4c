/**
 * Requests regate itself puts to a client on a held call's stream (a form elicitation asking for
 * the requester's justification), and the client's answers to them.
 *
 * A request gets an unguessable id in regate's own namespace (`regate-ask-` + 192 random bits).
 * The client POSTs its answer like any answer to a server request; regate takes every answer in
 * that namespace out of the POST before policy and never forwards it (the upstream did not ask).
 * An answer counts only when it comes from the principal, the connection and the session the
 * request went to: the session gate has already refused a session that is not the caller's, and
 * the owner check here refuses an answer sent on another of the caller's sessions.
 *
 * The answer may reach another replica than the one holding the call (a load balancer without
 * affinity): a replica that does not hold the id publishes the answer on the store, and the one
 * that does picks it up there and checks the owner itself.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { JSONRPCMessage } from '../mcp/jsonrpc.ts';
import { isRegateRequestId, REGATE_REQUEST_ID_PREFIX } from '../mcp/reserved.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import type { ClientAnswer, ClientChannel } from '../pipeline/client-channel.ts';
import type { Store, Unsubscribe } from '../store/store.ts';

/** Who a request regate puts to an exchange's client belongs to (its answer must come from the same). */
export function requestOwnerOf(facts: ExchangeFacts): RequestOwner {
  return { principal: facts.principal?.id ?? '', connection: facts.connection.name, sessionId: facts.sessionId };
}

/** Who a request was put to; its answer must come from the same. */
export interface RequestOwner {
  readonly principal: string;
  readonly connection: string;
  readonly sessionId: string | undefined;
}

const CHANNEL = 'client-answers';
/** Where a request's owner is kept while it waits, so that only answers to real requests are relayed. */
const ASKED = 'client-ask:';
/** Requests waiting at once on this replica, and per principal; more are `unanswered` at once (bounded memory, no starving). */
const MAX_PENDING = 10_000;
const MAX_PENDING_PER_PRINCIPAL = 32;
/** The largest answer relayed to other replicas (a justification is at most 1,000 characters). */
const MAX_RELAYED_BYTES = 16 * 1024;

interface Pending {
  readonly owner: RequestOwner;
  readonly settle: (a: ClientAnswer) => void;
}

export class ClientRequests {
  readonly #pending = new Map<string, Pending>();
  readonly #perPrincipal = new Map<string, number>();
  readonly #store: Store | undefined;
  readonly #log: () => Logger;
  #subscription: Promise<Unsubscribe | undefined> | undefined;

  constructor(o: { readonly store?: Store | undefined; readonly log: () => Logger }) {
    this.#store = o.store;
    this.#log = o.log;
  }

  /** Requests waiting for an answer on this replica. */
  get size(): number {
    return this.#pending.size;
  }

  /** A channel that sends with `send` (false: the stream is gone) and takes answers from `owner` only. */
  channel(owner: RequestOwner, send: (request: JSONRPCMessage, call: CallRecord) => Promise<boolean>): ClientChannel {
    return {
      request: async (method, params, o) => {
        if (o.signal.aborted) return { kind: 'unanswered', why: 'aborted' };
        if (this.#pending.size >= MAX_PENDING || (this.#perPrincipal.get(owner.principal) ?? 0) >= MAX_PENDING_PER_PRINCIPAL) return { kind: 'unanswered', why: 'limit' };
        await this.#subscribe();
        if (o.signal.aborted) return { kind: 'unanswered', why: 'aborted' };
        const id = REGATE_REQUEST_ID_PREFIX + randomBytes(24).toString('base64url');
        // Other replicas relay an answer only to a request the store knows, from its owner.
        await this.#store?.set(ASKED + id, JSON.stringify(owner), o.timeoutMs + 5000).catch((err: unknown) => {
          this.#log().warn({ err }, 'could not note a request to a client in the store: only answers reaching this replica count');
        });
        return new Promise<ClientAnswer>((resolve) => {
          const done = (a: ClientAnswer) => {
            if (!this.#pending.delete(id)) return;
            this.#count(owner.principal, -1);
            void this.#store?.del(ASKED + id).catch(() => {});
            clearTimeout(timer);
            o.signal.removeEventListener('abort', onAbort);
            resolve(a);
          };
          const onAbort = () => done({ kind: 'unanswered', why: 'aborted' });
          const timer = setTimeout(() => done({ kind: 'unanswered', why: 'timeout' }), o.timeoutMs);
          timer.unref();
          o.signal.addEventListener('abort', onAbort, { once: true });
          this.#pending.set(id, { owner, settle: done });
          this.#count(owner.principal, 1);
          send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage, o.call).then(
            (sent) => {
              if (!sent) done({ kind: 'unanswered', why: 'closed' });
            },
            () => done({ kind: 'unanswered', why: 'closed' }),
          );
        });
      },
    };
  }

  /**
   * Takes the answers to regate's own requests out of a client POST and returns what is left to
   * go through the pipeline. An answer to an id this replica does not hold goes to the others
   * through the store; one that nobody holds (late, forged, another owner's) is dropped and logged.
   */
  take(facts: ExchangeFacts, messages: readonly JSONRPCMessage[]): JSONRPCMessage[] {
    let rest: JSONRPCMessage[] | undefined;
    let owner: RequestOwner | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if ('method' in m || !('id' in m) || !isRegateRequestId(m.id)) {
        rest?.push(m);
        continue;
      }
      rest ??= messages.slice(0, i);
      owner ??= requestOwnerOf(facts);
      if (!this.#answer(m.id, owner, m)) this.#relay(m.id, owner, m);
    }
    return rest ?? (messages as JSONRPCMessage[]);
  }

  /** Settles a local request with the client's answer; false when this replica does not hold `id`. */
  #answer(id: string, owner: RequestOwner, m: JSONRPCMessage): boolean {
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    if (!sameOwner(p.owner, owner)) {
      // Somebody else's answer is not an answer: the request keeps waiting for its own client.
      this.#log().warn({ principal_id: owner.principal, connection: owner.connection }, 'refused an answer to a request regate put to another client');
      return true;
    }
    p.settle(answerOf(m));
    return true;
  }

  #count(principal: string, delta: 1 | -1): void {
    const n = (this.#perPrincipal.get(principal) ?? 0) + delta;
    if (n > 0) this.#perPrincipal.set(principal, n);
    else this.#perPrincipal.delete(principal);
  }

  /** True while a request of regate's to this exchange's client waits on this replica (its answer needs no call slot). */
  awaits(facts: ExchangeFacts): boolean {
    if (!this.#perPrincipal.has(facts.principal?.id ?? '')) return false;
    const owner = requestOwnerOf(facts);
    for (const p of this.#pending.values()) if (sameOwner(p.owner, owner)) return true;
    return false;
  }

  /**
   * Passes an answer this replica does not hold to the others, only when the store knows a
   * request with that id put to this very owner, and only a small one: forged ids, late answers
   * and other owners' answers end here (logged), never flood the store.
   */
  #relay(id: string, owner: RequestOwner, m: JSONRPCMessage): void {
    const drop = (why: string) => this.#log().info({ principal_id: owner.principal, connection: owner.connection }, `dropped an answer to a request of regate's: ${why}`);
    const store = this.#store;
    if (store === undefined) return drop('no such request is waiting (late or unknown)');
    const text = JSON.stringify({ id, owner, message: m });
    if (Buffer.byteLength(text) > MAX_RELAYED_BYTES) return drop(`larger than ${MAX_RELAYED_BYTES} bytes`);
    store
      .get(ASKED + id)
      .then(async (raw) => {
        if (raw === undefined) return drop('no such request is waiting (late or unknown)');
        const asked = ownerOf(parseJson(raw));
        if (asked === undefined || !sameOwner(asked, owner)) return drop('the request was put to another client');
        await store.publish(CHANNEL, text);
      })
      .catch((err: unknown) => this.#log().warn({ err }, 'could not pass a client answer to the other replicas'));
  }

  #subscribe(): Promise<Unsubscribe | undefined> {
    if (this.#store === undefined) return Promise.resolve(undefined);
    this.#subscription ??= this.#store
      .subscribe(CHANNEL, (raw) => {
        const r = parseRelayed(raw);
        if (r !== undefined) this.#answer(r.id, r.owner, r.message);
      })
      .catch((err: unknown) => {
        // Without the subscription only answers that reach this replica count; try again next time.
        this.#subscription = undefined;
        this.#log().warn({ err }, 'could not subscribe to client answers relayed by other replicas');
        return undefined;
      });
    return this.#subscription;
  }

  /** Stops listening for relayed answers. */
  async close(): Promise<void> {
    const s = await this.#subscription;
    await s?.();
  }
}

function sameOwner(a: RequestOwner, b: RequestOwner): boolean {
  return a.principal === b.principal && a.connection === b.connection && a.sessionId === b.sessionId;
}

function answerOf(m: JSONRPCMessage): ClientAnswer {
  if ('error' in m) {
    const e = m.error as { message?: unknown };
    return { kind: 'error', message: typeof e.message === 'string' ? e.message : 'error' };
  }
  return { kind: 'result', result: (m as { result?: unknown }).result };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** A request owner as the store or a relayed message holds it, or undefined when malformed. */
function ownerOf(v: unknown): RequestOwner | undefined {
  const o = v as Partial<RequestOwner> | undefined;
  if (typeof o?.principal !== 'string' || typeof o.connection !== 'string' || (o.sessionId !== undefined && typeof o.sessionId !== 'string')) return undefined;
  return { principal: o.principal, connection: o.connection, sessionId: o.sessionId };
}

function parseRelayed(raw: string): { id: string; owner: RequestOwner; message: JSONRPCMessage } | undefined {
  const r = parseJson(raw) as { id?: unknown; owner?: unknown; message?: unknown } | undefined;
  const owner = ownerOf(r?.owner);
  if (!isRegateRequestId(r?.id) || owner === undefined || typeof r.message !== 'object' || r.message === null) return undefined;
  return { id: r.id, owner, message: r.message as JSONRPCMessage };
}
