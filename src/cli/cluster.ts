/**
 * `regate serve --workers N`: a node:cluster primary and N worker processes sharing the listening
 * port. The workers are replicas of the single-process gateway (`serve`); the primary serves no
 * traffic. It validates the configuration once, starts the embedded demo upstream once (when there
 * is no --config), prints start-up output once, restarts crashed workers with backoff, forwards
 * SIGTERM/SIGINT so every worker drains, and gives up (non-zero exit) when workers keep crashing.
 *
 * Connections are spread by the cluster's round-robin scheduler in the primary, per TCP connection:
 * a client's keep-alive connection stays on one worker, its next connection may land on another.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { DemoServer } from '../demo/demo-server.ts';
import { RegateError } from '../errors.ts';
import { createDevProvider } from '../identity/create.ts';
import { createLogger, type Logger } from '../log.ts';
import { RestartPolicy } from './workers.ts';
import { embeddedBanner, embeddedConfigFor, embeddedTokens, serve, startEmbeddedUpstream, type EmbeddedUpstream } from './serve.ts';

/** Messages between the primary and its workers (over the cluster's IPC channel). */
type WorkerMessage = { type: 'regate:ask-embedded' } | { type: 'regate:listening'; url: string };
type PrimaryMessage = { type: 'regate:embedded'; upstream: EmbeddedUpstream };

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

interface ServeArgs {
  readonly config: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  readonly stopSignal: Promise<string>;
}

/** A worker's life: serve like a single process, tell the primary where, drain on the signal. */
export async function runWorker(args: ServeArgs): Promise<void> {
  const worker = cluster.worker;
  if (!worker) throw new RegateError('REGATE_ERR_INTERNAL', 'runWorker outside a cluster worker');
  try {
    const embedded = args.config ? undefined : await askPrimaryForEmbedded(worker);
    const running = await serve({ config: args.config, env: args.env, embedded, worker: worker.id, announce: false });
    worker.send({ type: 'regate:listening', url: running.regate.url } satisfies WorkerMessage);
    const signal = await args.stopSignal;
    running.log.info({ signal }, 'stopping');
    await running.stop();
  } finally {
    // The IPC channel would keep the event loop, and so a stopped or failed worker, alive.
    worker.disconnect();
  }
}

function askPrimaryForEmbedded(worker: Worker): Promise<EmbeddedUpstream> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (!isMessage<PrimaryMessage>(m, 'regate:embedded')) return;
      worker.off('message', onMessage);
      resolve(m.upstream);
    };
    worker.on('message', onMessage);
    worker.send({ type: 'regate:ask-embedded' } satisfies WorkerMessage);
  });
}

/**
 * The primary's life; resolves to the exit code. A worker that fails before any worker served
 * (bad bundle, port taken) ends the start with that worker's exit code: it has printed the reason.
 */
export async function runPrimary(args: ServeArgs & { workers: number; out: (s: string) => void }): Promise<number> {
  let config: Config;
  let embedded: { demo: DemoServer; upstream: EmbeddedUpstream } | undefined;
  if (args.config) {
    config = await loadConfigFile(args.config, args.env);
  } else {
    embedded = await startEmbeddedUpstream();
    config = embeddedConfigFor(embedded.upstream, args.env);
  }
  const log = createLogger(config.logging.level);
  log.setBindings({ worker: 'primary' });
  try {
    if (config.auth?.provider === 'dev' && config.auth.dev.key_file === null) {
      throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'auth.dev.key_file: null (a key per process) cannot be used with --workers: each worker would refuse the others\' tokens');
    }
    if (args.workers > 1 && config.redis === undefined) {
      // Session owners, call counts and per-principal slots must be one fact for every worker:
      // with a store per process, a session would be unknown (404) on the workers that did not start it.
      throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'redis: required with --workers above 1 (workers share session owners, call counts and limits through it); configure redis (or REGATE_REDIS_URL), or run one worker');
    }
    // Workers log a session under the same keyed hash: without a configured key they share one drawn here.
    if (config.sessions.hash_key === undefined) process.env.REGATE_SESSION_HASH_KEY = randomBytes(32).toString('base64url');
    const supervisor = new Supervisor(args.workers, log, embedded?.upstream);
    const started = await Promise.race([supervisor.start(), args.stopSignal.then(() => 'signal' as const)]);
    if (typeof started === 'number') return started;
    if (started !== 'signal') {
      log.info({ url: started, workers: args.workers, connections: config.connections.map((c) => c.name) }, 'regate listening');
      if (embedded) {
        // The dev key file is shared with the workers (data/dev-auth-key.json), so they accept these.
        const dev = await createDevProvider(config.auth!, { logger: log.child({ component: 'identity' }), baseDir: process.cwd() });
        args.out(embeddedBanner(started, await embeddedTokens(dev)));
      }
    }
    const outcome = await Promise.race([args.stopSignal.then((signal) => ({ signal })), supervisor.gaveUp]);
    log.info({ ...outcome, workers: supervisor.live }, 'stopping');
    await supervisor.stop(config.shutdown.grace_seconds * 1000 + 5000);
    log.info('stopped');
    if ('crashes' in outcome) {
      throw new RegateError('REGATE_ERR_WORKERS_CRASHING', `${outcome.crashes} worker crashes within a minute (last: ${outcome.last}); see the log above`);
    }
    return 0;
  } finally {
    await embedded?.demo.close();
    log.flush();
  }
}

/** Forks, watches and restarts the workers. */
class Supervisor {
  readonly #size: number;
  readonly #log: Logger;
  readonly #embedded: EmbeddedUpstream | undefined;
  readonly #restarts = new RestartPolicy();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopping = false;
  #everListened = false;
  #giveUp!: (r: { crashes: number; last: string }) => void;
  /** Resolves when workers crashed too often to keep restarting them. */
  readonly gaveUp = new Promise<{ crashes: number; last: string }>((resolve) => (this.#giveUp = resolve));

  constructor(size: number, log: Logger, embedded: EmbeddedUpstream | undefined) {
    this.#size = size;
    this.#log = log;
    this.#embedded = embedded;
  }

  get live(): number {
    return Object.keys(cluster.workers ?? {}).length;
  }

  /**
   * Starts one worker, and the others once it listens (so a start-up error is reported once, not
   * N times). Resolves to the URL once all listen, or to the exit code of a worker that failed first.
   */
  async start(): Promise<string | number> {
    const first = await this.#fork();
    if (typeof first === 'number') return first;
    // Stopped while the first worker started: fork no more.
    if (this.#stopping) return first;
    this.#everListened = true;
    cluster.on('exit', (w, code, signal) => this.#exited(w, code, signal));
    const rest = await Promise.all(Array.from({ length: this.#size - 1 }, () => this.#fork()));
    return rest.find((r) => typeof r === 'string') ?? first;
  }

  /** Forks a worker; resolves to its URL once it listens, or to its exit code if it exits first. */
  #fork(): Promise<string | number> {
    const w = cluster.fork();
    return new Promise((resolve) => {
      w.on('message', (m: unknown) => {
        if (isMessage<WorkerMessage>(m, 'regate:ask-embedded') && this.#embedded) {
          w.send({ type: 'regate:embedded', upstream: this.#embedded } satisfies PrimaryMessage);
        } else if (isMessage<Extract<WorkerMessage, { type: 'regate:listening' }>>(m, 'regate:listening')) {
          this.#log.info({ worker_id: w.id, pid: w.process.pid }, 'worker listening');
          resolve(m.url);
        }
      });
      w.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  }

  #exited(w: Worker, code: number | null, signal: string | null): void {
    if (this.#stopping || !this.#everListened) return;
    const last = signal ? `signal ${signal}` : `exit code ${code}`;
    const decision = this.#restarts.crashed(Date.now());
    this.#log.error({ worker_id: w.id, pid: w.process.pid, code, signal, restart: decision.restart }, 'worker stopped unexpectedly');
    if (!decision.restart) return this.#giveUp({ crashes: decision.crashes, last });
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopping) void this.#fork();
    }, decision.delayMs);
    this.#timers.add(timer);
  }

  /** SIGTERM to every worker (each drains like a single process), SIGKILL after `deadlineMs`. */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exits = workers.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((r) => w.once('exit', () => r()))));
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, deadlineMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}
