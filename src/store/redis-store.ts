/**
 * The shared store on Redis (ioredis): every replica of regate sees the same state. One
 * connection for commands and one for pub/sub (a subscribed connection can run no other command).
 *
 * During an outage operations fail fast instead of hanging: no offline queue (a command while
 * disconnected is refused at once), commands in flight when the connection drops are failed at
 * once (maxRetriesPerRequest 0: a counter must never be incremented twice by a resend), and a
 * command timeout bounds a Redis that accepts but does not answer. All of these surface as
 * REGATE_ERR_STORE_UNAVAILABLE. Both connections reconnect forever with the shared backoff.
 *
 * Atomic operations are Lua scripts (one round trip, nothing can interleave); `update` is an
 * optimistic compare-and-set loop, because the caller's function runs here, not in Redis.
 */
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Component, ComponentStatus } from '../components/component.ts';
import { RegateError } from '../errors.ts';
import { backoffDelay, type BackoffOptions } from '../util/backoff.ts';
import { connectorReportingLateErrors } from './redis-connector.ts';
import type { MessageHandler, Store, Unsubscribe, UpdateResult } from './store.ts';

export interface RedisStoreOptions {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** Present: connect with TLS. */
  readonly tls?: ConnectionOptions;
  /** Put before every key and channel, so several deployments can share one Redis. */
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly log: Logger;
  /** Reconnect delays; default 100 ms growing by 1.6 up to 5 s, +/-20% jitter. */
  readonly reconnectBackoff?: BackoffOptions;
}

export const REDIS_RECONNECT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 5000, factor: 1.6, jitter: 0.2 };

/** A compare-and-set loop that loses this many times in a row gives up (each round, one writer wins). */
const MAX_UPDATE_ATTEMPTS = 100;

const SCRIPTS = {
  /** KEYS[1] counter; ARGV[1] ttl ms. The increment that creates the counter sets its TTL. */
  regateIncrement: `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`,
  /** KEYS[1] counter; ARGV[1] max, ARGV[2] ttl ms. 1 when a slot was taken. */
  regateAcquire: `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  /** KEYS[1] counter. Never below zero; the key goes with the last slot. */
  regateRelease: `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 1 then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECR', KEYS[1])`,
  /** KEYS[1] value; ARGV[1] '1' if a value was read ('0' if absent), ARGV[2] that value, ARGV[3] next, ARGV[4] ttl ms. */
  regateCompareAndSet: `local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`,
  /** KEYS[1] set; ARGV[1] member, ARGV[2] ttl ms. */
  regateSetAdd: `redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
} as const;

type ScriptedRedis = Redis & {
  regateIncrement(key: string, ttlMs: number): Promise<number>;
  regateAcquire(key: string, max: number, ttlMs: number): Promise<number>;
  regateRelease(key: string): Promise<number>;
  regateCompareAndSet(key: string, hadValue: '0' | '1', expected: string, next: string, ttlMs: number): Promise<number>;
  regateSetAdd(key: string, member: string, ttlMs: number): Promise<number>;
};

/** Replies from Redis that mean "not now" rather than "wrong command". */
const transientReply = /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|NOAUTH|WRONGPASS|NOPERM|CLUSTERDOWN|TRYAGAIN)\b/;

/** Maps an ioredis failure to the catalogue: unreachable -> STORE_UNAVAILABLE, misuse -> INTERNAL. */
export function storeError(err: unknown): RegateError {
  if (err instanceof RegateError) return err;
  const e = err as Error;
  if (e?.name === 'ReplyError' && !transientReply.test(e.message)) {
    return new RegateError('REGATE_ERR_INTERNAL', 'Redis refused a store command', { cause: err });
  }
  return new RegateError('REGATE_ERR_STORE_UNAVAILABLE', 'Redis did not answer', { cause: err });
}

const ttl = (ms: number): number => Math.max(1, Math.ceil(ms));

/** The Redis store; also the component that reports the connection's health in /readyz. */
export class RedisStore implements Store, Component {
  readonly name = 'store';
  readonly #redis: ScriptedRedis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #address: string;
  readonly #log: Logger;
  /** Channel (without prefix) -> handlers; what is subscribed again after a reconnect. */
  readonly #channels = new Map<string, Set<MessageHandler>>();
  #everConnected = false;
  #subscriberLive = false;
  #downSince: Date | undefined;
  #lastError: string | undefined;
  #stopped = false;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix;
    this.#address = `${options.host}:${options.port}`;
    this.#log = options.log;
    const backoff = options.reconnectBackoff ?? REDIS_RECONNECT_BACKOFF;
    this.#redis = new Redis({
      host: options.host,
      port: options.port,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      db: options.db ?? 0,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs,
      retryStrategy: (times) => backoffDelay(times, backoff),
      // The subscriber connection subscribes again itself (#resubscribe), once per 'ready'.
      autoResubscribe: false,
      connectionName: 'regate',
      // ioredis alone would crash the process on a socket's second error (a TLS alert after a failed handshake).
      Connector: connectorReportingLateErrors((err) => this.#log.debug({ err, address: this.#address }, 'a further error on a Redis connection already failing; ignored')),
      scripts: Object.fromEntries(Object.entries(SCRIPTS).map(([name, lua]) => [name, { lua, numberOfKeys: 1 }])),
    }) as ScriptedRedis;
    this.#subscriber = this.#redis.duplicate({ connectionName: 'regate-subscriber' });
    this.#watch(this.#redis, 'commands');
    this.#watch(this.#subscriber, 'pub/sub');
    this.#subscriber.on('ready', () => void this.#resubscribe());
    this.#subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
  }

  // --- Component

  /** Connects both connections; resolves once tried (an unreachable Redis shows in status(), and is retried). */
  async start(): Promise<void> {
    await Promise.all([this.#redis.connect(), this.#subscriber.connect()]).catch(() => {
      // Reported by status() and retried with backoff by ioredis.
    });
  }

  async stop(deadlineMs: number): Promise<void> {
    await this.close(deadlineMs);
  }

  status(): ComponentStatus {
    const details = { backend: 'redis', address: this.#address, key_prefix: this.#prefix };
    if (this.#stopped) return { state: 'NOT_READY', message: 'stopped', details };
    const why = this.#lastError !== undefined ? `: ${this.#lastError}` : '';
    if (this.#redis.status !== 'ready') {
      if (!this.#everConnected) return { state: 'NOT_READY', message: `connecting to Redis at ${this.#address}${why}`, details };
      const since = this.#downSince?.toISOString() ?? 'now';
      return { state: 'ERROR', message: `disconnected from Redis at ${this.#address} since ${since}${why}; reconnecting`, details };
    }
    if (!this.#subscriberLive) {
      return { state: 'DEGRADED', message: `pub/sub connection to Redis at ${this.#address} is down${why}; replicas are woken late`, details };
    }
    return { state: 'OK', message: `connected to Redis at ${this.#address}`, details };
  }

  // --- Store

  get(key: string): Promise<string | undefined> {
    return this.#run(async () => (await this.#redis.get(this.#key(key))) ?? undefined);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.#run(async () => {
      await this.#redis.set(this.#key(key), value, 'PX', ttl(ttlMs));
    });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.#run(async () => (await this.#redis.set(this.#key(key), value, 'PX', ttl(ttlMs), 'NX')) === 'OK');
  }

  del(key: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.del(this.#key(key));
    });
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.#run(() => this.#redis.regateIncrement(this.#key(key), ttl(ttlMs)));
  }

  acquire(key: string, max: number, ttlMs: number): Promise<boolean> {
    return this.#run(async () => (await this.#redis.regateAcquire(this.#key(key), max, ttl(ttlMs))) === 1);
  }

  release(key: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.regateRelease(this.#key(key));
    });
  }

  update(key: string, fn: (current: string | undefined) => string | undefined, ttlMs: number): Promise<UpdateResult> {
    const k = this.#key(key);
    return this.#run(async () => {
      for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
        const current = (await this.#redis.get(k)) ?? undefined;
        const next = fn(current);
        if (next === undefined) return { value: current, written: false };
        const hadValue = current === undefined ? '0' : '1';
        if ((await this.#redis.regateCompareAndSet(k, hadValue, current ?? '', next, ttl(ttlMs))) === 1) return { value: next, written: true };
      }
      throw new RegateError('REGATE_ERR_STORE_UNAVAILABLE', `store key "${key}" changed under ${MAX_UPDATE_ATTEMPTS} updates in a row`);
    });
  }

  setAdd(key: string, member: string, ttlMs: number): Promise<void> {
    return this.#run(async () => {
      await this.#redis.regateSetAdd(this.#key(key), member, ttl(ttlMs));
    });
  }

  setRemove(key: string, member: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.srem(this.#key(key), member);
    });
  }

  setMembers(key: string): Promise<string[]> {
    return this.#run(() => this.#redis.smembers(this.#key(key)));
  }

  publish(channel: string, message: string): Promise<void> {
    return this.#run(async () => {
      await this.#redis.publish(this.#key(channel), message);
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    let handlers = this.#channels.get(channel);
    if (handlers === undefined) this.#channels.set(channel, (handlers = new Set()));
    const subscription: MessageHandler = (message) => handler(message);
    handlers.add(subscription);
    const unsubscribe = async (): Promise<void> => {
      handlers.delete(subscription);
      if (handlers.size > 0 || this.#channels.get(channel) !== handlers) return;
      this.#channels.delete(channel);
      // Best effort: a connection that is down has no subscription to end, and will not subscribe again.
      await this.#subscriber.unsubscribe(this.#key(channel)).catch(() => {});
    };
    try {
      // SUBSCRIBE is idempotent; resolving on its reply means the subscription is live.
      await this.#run(() => this.#subscriber.subscribe(this.#key(channel)));
    } catch (err) {
      await unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  /** Closes both connections, politely (QUIT) within `deadlineMs`, then by force. */
  async close(deadlineMs = 1000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#channels.clear();
    const quit = (c: Redis) => (c.status === 'ready' ? c.quit().then(() => {}, () => {}) : Promise.resolve());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([quit(this.#redis), quit(this.#subscriber)]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
    this.#redis.disconnect();
    this.#subscriber.disconnect();
  }

  // --- internals

  #key(key: string): string {
    return this.#prefix + key;
  }

  async #run<T>(op: () => Promise<T>): Promise<T> {
    if (this.#stopped) throw new RegateError('REGATE_ERR_STORE_UNAVAILABLE', 'the store is closed');
    try {
      return await op();
    } catch (err) {
      throw storeError(err);
    }
  }

  /** Logs each outage once (not every retry) and keeps what status() reports. */
  #watch(connection: Redis, role: string): void {
    let down = false;
    connection.on('error', (err: Error) => {
      this.#lastError = err.message;
    });
    connection.on('ready', () => {
      if (connection === this.#redis) {
        this.#everConnected = true;
        this.#downSince = undefined;
      }
      this.#lastError = undefined;
      if (down) this.#log.info({ role, address: this.#address }, 'reconnected to Redis');
      down = false;
    });
    connection.on('close', () => {
      if (connection === this.#subscriber) this.#subscriberLive = false;
      if (connection === this.#redis && this.#downSince === undefined) this.#downSince = new Date();
      if (!down && !this.#stopped) this.#log.warn({ role, address: this.#address, err: this.#lastError }, 'disconnected from Redis; reconnecting with backoff');
      down = true;
    });
  }

  /** After each (re)connect of the subscriber: subscribe every channel that has handlers. */
  async #resubscribe(): Promise<void> {
    const channels = [...this.#channels.keys()].map((c) => this.#key(c));
    try {
      if (channels.length > 0) await this.#subscriber.subscribe(...channels);
      this.#subscriberLive = this.#subscriber.status === 'ready';
    } catch (err) {
      this.#log.warn({ err, address: this.#address }, 'could not subscribe again after reconnecting to Redis; reconnecting to retry');
      if (!this.#stopped) this.#subscriber.disconnect(true);
    }
  }

  #deliver(prefixedChannel: string, message: string): void {
    if (!prefixedChannel.startsWith(this.#prefix)) return;
    const channel = prefixedChannel.slice(this.#prefix.length);
    for (const handler of this.#channels.get(channel) ?? []) {
      try {
        handler(message);
      } catch (err) {
        this.#log.error({ err, channel }, 'a store subscriber failed on a message');
      }
    }
  }
}
