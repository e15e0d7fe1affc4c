/**
 * The transcript buffer on Redis Streams with one consumer group shared by every regate instance.
 *
 * - append: one pipeline of XADDs per client HTTP request (one round trip), refused at once when the
 *   connection is not ready and after `appendTimeoutMs` when Redis stalls, so a call is never held
 *   waiting on the buffer.
 * - read: XAUTOCLAIM takes over events a crashed instance left pending for `claimIdleMs`, then
 *   XREADGROUP reads new ones (never BLOCK: the connection is shared with appends).
 * - ack: XACK; then, at most once a second, XTRIM MINID up to the oldest event still unacknowledged
 *   (pending, or not yet delivered), so trimming only ever removes acknowledged events.
 *
 * Durability of an acknowledged append is Redis's own (AOF `appendfsync`, replication): see
 * docs/recording.md.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RegateError } from '../errors.ts';
import type { AuditBuffer, BufferedEvent, BufferStats } from './buffer.ts';
import { eventJson, type TranscriptEvent } from './event.ts';

export interface RedisStreamBufferOptions {
  /** A shared client (not closed by the buffer), or a URL for a client of its own. */
  readonly redis: Redis | string;
  /** Prefix of the stream key, e.g. `regate:` -> `regate:audit:events`. */
  readonly keyPrefix: string;
  readonly group?: string;
  /** Unique per process; defaults to host-pid-random. */
  readonly consumer?: string;
  readonly maxEvents: number;
  readonly appendTimeoutMs: number;
  readonly claimIdleMs: number;
  /** How often read() looks for idle pending events of other consumers. */
  readonly claimIntervalMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

/** Stream ids compare as (milliseconds, sequence). */
function parseId(id: string): [bigint, bigint] {
  const [ms, seq] = id.split('-');
  return [BigInt(ms ?? 0), BigInt(seq ?? 0)];
}

export function compareIds(a: string, b: string): number {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

function nextId(id: string): string {
  const [ms, seq] = parseId(id);
  return `${ms}-${seq + 1n}`;
}

function idAgeMs(id: string, now: number): number {
  return Math.max(0, now - Number(parseId(id)[0]));
}

function bufferError(detail: string, cause?: unknown): RegateError {
  return new RegateError('REGATE_ERR_AUDIT_BUFFER', detail, { cause });
}

/** Rejects with REGATE_ERR_AUDIT_BUFFER when `p` has not settled within `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bufferError(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** XINFO GROUPS reply -> fields of our group. */
function groupInfo(reply: unknown, group: string): { lastDelivered: string; lag: number | undefined } | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (const g of reply) {
    if (!Array.isArray(g)) continue;
    const f = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
    if (f.get('name') !== group) continue;
    const lag = f.get('lag');
    return { lastDelivered: String(f.get('last-delivered-id') ?? '0-0'), lag: typeof lag === 'number' ? lag : undefined };
  }
  return undefined;
}

export class RedisStreamBuffer implements AuditBuffer {
  readonly key: string;
  readonly group: string;
  readonly consumer: string;
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #o: RedisStreamBufferOptions;
  #groupReady = false;
  #claimCursor = '0-0';
  #lastClaimAt = 0;
  #lastTrimAt = 0;
  /** XLEN as last seen plus appends since; refreshes on stats() and trims. */
  #approxSize = 0;

  constructor(options: RedisStreamBufferOptions) {
    this.#o = options;
    this.key = `${options.keyPrefix}audit:events`;
    this.group = options.group ?? 'regate-flushers';
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    if (typeof options.redis === 'string') {
      // Own client: commands fail at once while disconnected instead of queueing (fail fast).
      this.#client = new Redis(options.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.#client.on('error', () => undefined); // state is read from client.status; errors surface on commands
      this.#owned = true;
    } else {
      this.#client = options.redis;
      this.#owned = false;
    }
  }

  /** Resolves true once the connection is ready, false after `timeoutMs` (appends fail fast until then). */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.#client.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#client.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.#client.on('ready', onReady);
    });
  }

  async append(events: readonly TranscriptEvent[]): Promise<void> {
    if (events.length === 0) return;
    const status = this.#client.status;
    if (status !== 'ready') throw bufferError(`Redis connection is ${status}`);
    if (this.#approxSize + events.length > this.#o.maxEvents) {
      throw bufferError(`${this.#approxSize} events wait for delivery (limit ${this.#o.maxEvents})`);
    }
    const p = this.#client.pipeline();
    for (const e of events) p.xadd(this.key, '*', 'e', eventJson(e));
    let results: [Error | null, unknown][] | null;
    try {
      results = await withTimeout(p.exec(), this.#o.appendTimeoutMs, 'XADD');
    } catch (err) {
      throw err instanceof RegateError ? err : bufferError((err as Error).message, err);
    }
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed !== undefined) throw bufferError(failed?.[0]?.message ?? 'pipeline was not executed', failed?.[0]);
    this.#approxSize += events.length;
  }

  async #ensureGroup(): Promise<void> {
    if (this.#groupReady) return;
    try {
      // From 0: events appended before any flusher ever ran are delivered too.
      await this.#client.xgroup('CREATE', this.key, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
    this.#groupReady = true;
  }

  /** Runs `op`, recreating the group once if Redis lost it (a restart without persistence). */
  async #withGroup<T>(op: () => Promise<T>): Promise<T> {
    await this.#ensureGroup();
    try {
      return await op();
    } catch (err) {
      if (!/NOGROUP/.test((err as Error).message)) throw err;
      this.#groupReady = false;
      await this.#ensureGroup();
      return op();
    }
  }

  #decode(entries: readonly (StreamEntry | null)[]): { good: BufferedEvent[]; bad: string[] } {
    const good: BufferedEvent[] = [];
    const bad: string[] = [];
    for (const entry of entries) {
      if (entry === null) continue; // XAUTOCLAIM reports entries deleted meanwhile separately
      const [id, fields] = entry;
      const at = fields.indexOf('e');
      try {
        if (at < 0) throw new Error('no event field');
        good.push({ id, event: JSON.parse(fields[at + 1] ?? '') as TranscriptEvent });
      } catch {
        bad.push(id); // not an entry regate wrote: it can never be delivered
      }
    }
    return { good, bad };
  }

  async read(max: number): Promise<BufferedEvent[]> {
    return this.#withGroup(async () => {
      const now = Date.now();
      const interval = this.#o.claimIntervalMs ?? Math.min(5000, this.#o.claimIdleMs / 2);
      if (now - this.#lastClaimAt >= interval) {
        const reply = (await this.#client.xautoclaim(this.key, this.group, this.consumer, this.#o.claimIdleMs, this.#claimCursor, 'COUNT', max)) as [string, (StreamEntry | null)[], string[]?];
        this.#claimCursor = reply[0];
        if (this.#claimCursor === '0-0') this.#lastClaimAt = now; // a full pass done: wait for the next interval
        const { good, bad } = this.#decode(reply[1]);
        if (bad.length > 0) await this.ack(bad); // unreadable entries can never be delivered
        if (good.length > 0) return good;
      }
      const reply = (await this.#client.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', max, 'STREAMS', this.key, '>')) as
        | [string, StreamEntry[]][]
        | null;
      const { good, bad } = this.#decode(reply?.[0]?.[1] ?? []);
      if (bad.length > 0) await this.ack(bad);
      return good;
    });
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#client.xack(this.key, this.group, ...ids);
    if (Date.now() - this.#lastTrimAt >= 1000) await this.trim();
  }

  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#client.xclaim(this.key, this.group, this.consumer, 0, ...ids, 'JUSTID');
  }

  /** Deletes acknowledged events: everything before the oldest pending or undelivered one. */
  async trim(): Promise<void> {
    this.#lastTrimAt = Date.now();
    const floor = await this.#oldestUnacked();
    if (floor === undefined) return;
    await this.#client.xtrim(this.key, 'MINID', floor.id);
    this.#approxSize = await this.#client.xlen(this.key);
  }

  /** The oldest event not yet acknowledged (pending or undelivered), if the group exists. */
  async #oldestUnacked(): Promise<{ id: string; lag: number | undefined; pending: number } | undefined> {
    await this.#ensureGroup();
    const [info, pending] = (await this.#client
      .pipeline()
      .xinfo('GROUPS', this.key)
      .xpending(this.key, this.group)
      .exec()) as [[Error | null, unknown], [Error | null, unknown]];
    const failed = info[0] ?? pending[0];
    if (failed) {
      // The stream or group is gone (Redis restarted without persistence): recreate on next use.
      if (/no such key|NOGROUP/i.test(failed.message)) {
        this.#groupReady = false;
        return undefined;
      }
      throw failed;
    }
    const g = groupInfo(info[1], this.group);
    if (g === undefined) return undefined;
    const [count, minPending] = pending[1] as [number, string | null];
    const firstUndelivered = (await this.#client.xrange(this.key, nextId(g.lastDelivered), '+', 'COUNT', 1))[0]?.[0];
    const candidates = [minPending, firstUndelivered].filter((x): x is string => typeof x === 'string');
    candidates.sort(compareIds);
    // Nothing unacknowledged: everything up to the last delivered event may go.
    const id = candidates[0] ?? nextId(g.lastDelivered);
    return { id, lag: g.lag, pending: count };
  }

  async stats(): Promise<BufferStats> {
    const size = await this.#client.xlen(this.key);
    this.#approxSize = size;
    const floor = await this.#oldestUnacked();
    if (floor === undefined) return { size, pending: 0, lag: size, oldestUnackedAgeMs: 0 };
    // Redis reports no lag when it cannot compute it; everything held and not pending bounds it.
    const lag = floor.lag ?? Math.max(0, size - floor.pending);
    const unacked = floor.pending + lag;
    return { size, pending: floor.pending, lag, oldestUnackedAgeMs: unacked > 0 ? idAgeMs(floor.id, Date.now()) : 0 };
  }

  async close(): Promise<void> {
    if (this.#owned) this.#client.disconnect();
  }
}
