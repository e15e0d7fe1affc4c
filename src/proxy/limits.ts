/**
 * Bounds on what one caller can hold, so that no principal can stall a connection for everyone:
 *
 * - per principal (shared store, so the bound holds across replicas): concurrent requests and open
 *   GET streams, each a slot taken with `acquire` and given back when the response closes;
 * - per connection (this process: each process has its own upstream socket pool): upstream
 *   requests in flight and long-lived streams, in two separate budgets that together fit the
 *   pool, so streams never take the sockets calls need.
 *
 * A refusal is a 429 with `Retry-After` and a code naming the limit. Saturation shows in /metrics
 * (slots in use and refusals) and in /readyz (the `limits` component is DEGRADED while a
 * connection's budget is exhausted).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Component, ComponentStatus } from '../components/component.ts';
import { RegateError, type ErrorCode } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { PerConnectionLimits, PerPrincipalLimits } from './limits-config.ts';

/** A request takes a call slot; a GET takes a stream slot. */
export type SlotKind = 'call' | 'stream';

/** Seconds a refused caller is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Safety net on per-principal slot counters: renewed by every acquire, it frees the slots of a
 * replica that died holding them. Long enough that a principal's long-lived stream keeps its slot.
 */
const SLOT_TTL_MS = 60 * 60 * 1000;

export interface LimitsOptions {
  readonly store: Store;
  readonly perPrincipal: PerPrincipalLimits;
  readonly perConnection: PerConnectionLimits;
  readonly connections: readonly string[];
  /** Where the limits' metrics are registered (the gateway's registry). */
  readonly registry?: Registry;
}

export class Limits {
  readonly #store: Store;
  readonly #principal: PerPrincipalLimits;
  readonly #connection: PerConnectionLimits;
  /** In use per connection and kind, in this process. */
  readonly #inUse = new Map<string, { call: number; stream: number }>();
  readonly #refusals: Counter<'limit'> | undefined;

  constructor(o: LimitsOptions) {
    this.#store = o.store;
    this.#principal = o.perPrincipal;
    this.#connection = o.perConnection;
    for (const c of o.connections) this.#inUse.set(c, { call: 0, stream: 0 });
    if (o.registry !== undefined) {
      this.#refusals = new Counter({
        name: 'regate_limit_refusals_total',
        help: 'Requests refused with 429 because a limit was reached, by limit (the error code)',
        labelNames: ['limit'] as const,
        registers: [o.registry],
      });
      const max = this.#connection;
      this.#budgetGauge(o.registry, 'regate_connection_slots_in_use', 'Upstream slots in use per connection and budget (calls, streams) in this process', (u) => u);
      this.#budgetGauge(o.registry, 'regate_connection_slots_max', 'Upstream slots per connection and budget (limits.per_connection)', () => ({
        call: max.max_upstream_requests,
        stream: max.max_streams,
      }));
    }
  }

  /** A gauge per connection and budget, read at scrape time. */
  #budgetGauge(registry: Registry, name: string, help: string, value: (inUse: { call: number; stream: number }) => { call: number; stream: number }): void {
    const inUse = this.#inUse;
    new Gauge({
      name,
      help,
      labelNames: ['connection', 'budget'] as const,
      registers: [registry],
      collect() {
        for (const [connection, u] of inUse) {
          const v = value(u);
          this.set({ connection, budget: 'calls' }, v.call);
          this.set({ connection, budget: 'streams' }, v.stream);
        }
      },
    });
  }

  /** The upstream sockets a connection needs at most: both budgets (plus room for regate's own answers). */
  static socketsFor(perConnection: PerConnectionLimits): number {
    return perConnection.max_upstream_requests + perConnection.max_streams + 16;
  }

  /**
   * Takes a slot of `kind` for `principal` on `connection`: resolves with the function that gives
   * it back (call it exactly once, when the response closes), or rejects with the 429 of the limit
   * reached (REGATE_ERR_STORE_UNAVAILABLE when the store cannot count: fails closed).
   */
  async take(kind: SlotKind, principal: string, connection: string): Promise<() => void> {
    const u = this.#inUse.get(connection);
    if (u === undefined) throw new RegateError('REGATE_ERR_INTERNAL', `no budget for connection ${connection}`);
    const connMax = kind === 'call' ? this.#connection.max_upstream_requests : this.#connection.max_streams;
    if (u[kind] >= connMax) throw this.refused(kind === 'call' ? 'REGATE_ERR_LIMIT_CONNECTION_REQUESTS' : 'REGATE_ERR_LIMIT_CONNECTION_STREAMS', connection);
    // Taken locally first, so concurrent requests of this process cannot overshoot while the store answers.
    u[kind]++;
    const key = `limit:${kind}:${principal}`;
    const max = kind === 'call' ? this.#principal.max_concurrent_requests : this.#principal.max_streams;
    let ok: boolean;
    try {
      ok = await this.#store.acquire(key, max, SLOT_TTL_MS);
    } catch (err) {
      u[kind]--;
      throw err;
    }
    if (!ok) {
      u[kind]--;
      throw this.refused(kind === 'call' ? 'REGATE_ERR_LIMIT_PRINCIPAL_REQUESTS' : 'REGATE_ERR_LIMIT_PRINCIPAL_STREAMS', principal);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      u[kind]--;
      // A release that fails leaves the slot to the counter's TTL; nothing to tell the client.
      this.#store.release(key).catch(() => {});
    };
  }

  /** The 429 for `code`, counted in regate_limit_refusals_total. */
  refused(code: ErrorCode, who: string): RegateError {
    this.#refusals?.inc({ limit: code });
    return new RegateError(code, who);
  }

  /** Reports a connection whose budget is exhausted as DEGRADED in /readyz. */
  get component(): Component {
    return {
      name: 'limits',
      start: async () => {},
      stop: async () => {},
      status: () => this.#status(),
    };
  }

  #status(): ComponentStatus {
    const full: string[] = [];
    const details: Record<string, unknown> = {};
    for (const [c, u] of this.#inUse) {
      details[c] = { calls: u.call, streams: u.stream };
      if (u.call >= this.#connection.max_upstream_requests) full.push(`${c} (calls)`);
      if (u.stream >= this.#connection.max_streams) full.push(`${c} (streams)`);
    }
    // Slots in use are in /metrics; readiness names only what is full.
    if (full.length > 0) return { state: 'DEGRADED', message: `connection budget exhausted: ${full.join(', ')}`, details };
    return { state: 'OK' };
  }
}
