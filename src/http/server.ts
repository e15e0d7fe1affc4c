import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ComponentRegistry } from '../components/component.ts';
import type { Config } from '../config/schema.ts';
import { composePipeline, type Pipeline } from '../pipeline/compose.ts';
import type { Stage } from '../pipeline/stage.ts';
import type { Identity } from '../identity/create.ts';
import { createApp } from './app.ts';
import { createBodyGuard } from './body-guard.ts';
import { startOpsServer } from './ops-server.ts';
import { Lifecycle } from './lifecycle.ts';
import { Metrics } from './metrics.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { SessionsRouteDeps } from './sessions-routes.ts';

export interface RegateOptions {
  readonly config: Config;
  readonly log: Logger;
  /** The pipeline's stages in their order (none: the transparent proxy); see src/pipeline/stages.ts. */
  readonly stages?: readonly Stage[];
  /** Seconds between keepalives on a held call (default 15). */
  readonly holdKeepaliveSeconds?: number;
  readonly components?: ComponentRegistry;
  readonly identity?: Identity;
  /** Shared with components that report metrics of their own (the policy manager). */
  readonly metrics?: Metrics;
  /** Shared state (session owners, per-principal slots); default: a store of this process. */
  readonly store?: Store;
  /** The approvals API and page, when approvals are enabled. */
  readonly approvals?: RequestHandler;
  /** GET /sessions/{id} (see src/http/sessions-routes.ts). */
  readonly sessions?: SessionsRouteDeps;
}

export interface RunningRegate {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** Base URL of the operations listener, when `ops_listen` is configured. */
  readonly opsUrl: string | undefined;
  readonly server: http.Server;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** Graceful shutdown: drain in-flight calls until the grace deadline, then stop components. */
  stop(): Promise<void>;
}

/** Starts components, then listens. Used by `regate serve` and by the tests, identically. */
export async function startRegate(opts: RegateOptions): Promise<RunningRegate> {
  const { config, log } = opts;
  const components = opts.components ?? new ComponentRegistry();
  const metrics = opts.metrics ?? new Metrics();
  const lifecycle = new Lifecycle();
  const ownStore = opts.store === undefined ? new MemoryStore() : undefined;
  const store = opts.store ?? ownStore!;
  await components.startAll();
  const pipeline: Pipeline = composePipeline(opts.stages ?? [], {
    log,
    countMessage: (connection, direction, method) => metrics.message(connection, direction, method),
  });
  const app = createApp({
    config,
    log,
    metrics,
    lifecycle,
    components,
    pipeline,
    identity: opts.identity,
    store,
    ...(opts.approvals !== undefined ? { approvals: opts.approvals } : {}),
    ...(opts.sessions ? { sessions: opts.sessions } : {}),
    ...(opts.holdKeepaliveSeconds !== undefined ? { holdKeepaliveSeconds: opts.holdKeepaliveSeconds } : {}),
  });

  // noDelay: small JSON-RPC frames must not wait for Nagle. No server-side timeouts on responses:
  // long tool calls and SSE streams are bounded by the connection's own upstream timeouts.
  // Request bodies are bounded by the body guard instead (deadline, minimum rate, no waiting for
  // the body of a request already answered).
  const bodies = createBodyGuard(config.limits);
  const server = http.createServer({ noDelay: true, keepAlive: true, requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
    bodies.watch(req, res);
    app.handler(req, res);
  });
  server.headersTimeout = 30_000;
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const ops = config.ops_listen ? await startOpsServer(config.ops_listen, { components, lifecycle, metrics }) : undefined;
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;

  let stopping: Promise<void> | undefined;
  return {
    url,
    opsUrl: ops?.url,
    server,
    metrics,
    lifecycle,
    stop: () =>
      (stopping ??= (async () => {
        const grace = config.shutdown.grace_seconds * 1000;
        log.info({ inflight: lifecycle.inflight, grace_seconds: config.shutdown.grace_seconds }, 'draining');
        const { cut } = await lifecycle.drain(server, grace);
        if (cut > 0) log.warn({ cut }, 'grace period over; cut remaining requests');
        app.close();
        bodies.close();
        await ops?.close();
        await components.stopAll(grace);
        await ownStore?.close();
        log.info('stopped');
      })()),
  };
}
