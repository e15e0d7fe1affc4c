/**
 * Builds the store from the `redis` section (absent: the in-memory store). Only the composition
 * calls this; consumers receive the `Store`, and the registry receives the `Component`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Component } from '../components/component.ts';
import { RegateError } from '../errors.ts';
import type { RedisConfig } from './config.ts';
import { MemoryStore, type MemoryStoreOptions } from './memory-store.ts';
import { Redis } from 'ioredis';
import { backoffDelay } from '../util/backoff.ts';
import { connectorReportingLateErrors } from './redis-connector.ts';
import { REDIS_RECONNECT_BACKOFF, RedisStore } from './redis-store.ts';
import type { Store } from './store.ts';

export interface CreatedStore {
  readonly store: Store;
  /** Reports the store in /readyz and regate_component_state (name "store"). */
  readonly component: Component;
}

/** The store and its component; relative TLS file paths resolve against `baseDir` (default cwd). */
export function createStore(config: RedisConfig | undefined, log: Logger, opts: { baseDir?: string; memory?: MemoryStoreOptions } = {}): CreatedStore {
  const storeLog = log.child({ component: 'store' });
  if (config === undefined) {
    storeLog.warn('no redis configured: shared state (session owners, counters, approvals) is per process; run one replica, or configure redis');
    const store = new MemoryStore({ onHandlerError: (err, channel) => storeLog.error({ err, channel }, 'a store subscriber failed on a message'), ...opts.memory });
    return { store, component: memoryComponent(store) };
  }
  const store = new RedisStore({ ...redisAddress(config), ...redisTls(config, opts.baseDir ?? process.cwd()), keyPrefix: config.key_prefix, connectTimeoutMs: config.connect_timeout_ms, commandTimeoutMs: config.command_timeout_ms, log: storeLog });
  return { store, component: store };
}

/** Host, port, credentials and database from the URL; `password` in the config wins over the URL's. */
export function redisAddress(config: Pick<RedisConfig, 'url' | 'password'>): { host: string; port: number; username?: string; password?: string; db: number } {
  const url = new URL(config.url);
  const tls = url.protocol === 'rediss:';
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'redis.url: the path must be a database number, e.g. /0');
  const username = decodeURIComponent(url.username);
  const password = config.password ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined);
  return {
    // URL keeps IPv6 hosts in brackets; the socket wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port !== '' ? Number(url.port) : tls ? 6380 : 6379,
    ...(username !== '' ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
  };
}

function redisTls(config: RedisConfig, baseDir: string): { tls?: ConnectionOptions } {
  if (!config.url.startsWith('rediss:')) return {};
  const t = config.tls;
  const host = redisAddress(config).host;
  const read = (file: string, key: string): string => {
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new RegateError('REGATE_ERR_CONFIG_READ', `redis.tls.${key}: ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    tls: {
      // SNI names a host; TLS forbids an IP address there.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: t?.reject_unauthorized ?? true,
      ...(t?.ca_file !== undefined ? { ca: read(t.ca_file, 'ca_file') } : {}),
      ...(t?.cert_file !== undefined ? { cert: read(t.cert_file, 'cert_file') } : {}),
      ...(t?.key_file !== undefined ? { key: read(t.key_file, 'key_file') } : {}),
    },
  };
}

/** The in-memory store is always ready; its message says state is per process. */
function memoryComponent(store: MemoryStore): Component {
  return {
    name: 'store',
    start: async () => {},
    stop: () => store.close(),
    status: () => ({ state: 'OK', message: 'in memory: state is per process', details: { backend: 'memory', entries: store.size } }),
  };
}

/**
 * A Redis client of its own for a feature that needs more than the Store (the transcript buffer's
 * Streams): the same address, credentials and TLS as the store, commands failing at once while
 * disconnected, reconnecting with the store's backoff, and never crashing the process on a
 * socket's late error. The caller closes it.
 */
export function createRedisClient(config: RedisConfig, log: Logger, opts: { baseDir?: string; name: string }): Redis {
  const client = new Redis({
    ...redisAddress(config),
    ...redisTls(config, opts.baseDir ?? process.cwd()),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: config.connect_timeout_ms,
    commandTimeout: config.command_timeout_ms,
    retryStrategy: (times) => backoffDelay(times, REDIS_RECONNECT_BACKOFF),
    connectionName: opts.name,
    Connector: connectorReportingLateErrors((err) => log.debug({ err }, 'a further error on a Redis connection already failing; ignored')),
  });
  // State is read from client.status and errors surface on commands; an 'error' event without a
  // listener would end the process.
  client.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  return client;
}
