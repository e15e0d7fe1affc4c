/**
 * A bundle tarball on the local disk, reloaded when it changes. fs.watch on the directory sees
 * in-place writes and atomic renames at once; a periodic stat catches what watching misses
 * (network file systems, editors that replace the directory entry, watcher errors).
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { RegateError } from '../../errors.ts';
import { silentLogger, type BundleSink, type BundleSource, type SourceLogger, type SourceStatus, sourceStatus } from './source.ts';

export interface FileSourceOptions {
  readonly path: string;
  /** How often to stat the file in case a change notification was missed. Default 2000 ms. */
  readonly pollMs?: number;
  /** Quiet time after a change notification before reading (writers emit several). Default 100 ms. */
  readonly debounceMs?: number;
  readonly log?: SourceLogger;
}

function fingerprint(s: { mtimeMs: number; size: number; ino: number }): string {
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

export class FileBundleSource implements BundleSource {
  readonly location: string;
  readonly #pollMs: number;
  readonly #debounceMs: number;
  readonly #log: SourceLogger;
  #sink: BundleSink | undefined;
  #watcher: FSWatcher | undefined;
  #interval: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #lastStat = '';
  #lastHash = '';
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastError: string | undefined;
  #lastCheckAt: string | undefined;

  constructor(options: FileSourceOptions) {
    this.location = options.path;
    this.#pollMs = options.pollMs ?? 2000;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#log = options.log ?? silentLogger;
  }

  async start(sink: BundleSink): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    const { bytes, stats } = await this.#read();
    this.#lastStat = stats;
    this.#lastHash = createHash('sha256').update(bytes).digest('hex');
    await sink(bytes, this.location); // a refused bundle at start-up is a start-up failure
    try {
      const name = basename(this.location);
      this.#watcher = watch(dirname(this.location), { persistent: false }, (_event, file) => {
        if (file === null || file === name) this.#schedule();
      });
      this.#watcher.on('error', (err) => {
        this.#log.warn({ err, path: this.location }, 'bundle file watcher failed; relying on periodic checks');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#log.warn({ err, path: this.location }, 'cannot watch the bundle file; relying on periodic checks');
    }
    this.#interval = setInterval(() => this.#schedule(0), this.#pollMs);
    this.#interval.unref();
  }

  async #read(): Promise<{ bytes: Buffer; stats: string }> {
    try {
      const s = await stat(this.location);
      const bytes = await readFile(this.location);
      return { bytes, stats: fingerprint(s) };
    } catch (err) {
      throw new RegateError('REGATE_ERR_BUNDLE_FETCH', `cannot read ${this.location}: ${(err as Error).message}`, { cause: err });
    }
  }

  #schedule(delay = this.#debounceMs): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#check(), delay);
    this.#debounce.unref();
  }

  /** One check at a time; a change noticed during a check triggers one more. */
  async #check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#checkOnce();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #checkOnce(): Promise<void> {
    this.#lastCheckAt = new Date().toISOString();
    let s;
    try {
      s = await stat(this.location);
    } catch (err) {
      // Mid-replacement or deleted: keep the active policy, look again later.
      this.#lastError = `cannot stat ${this.location}: ${(err as Error).message}`;
      return;
    }
    if (fingerprint(s) === this.#lastStat) return;
    let bytes: Buffer;
    try {
      ({ bytes } = await this.#read());
    } catch (err) {
      this.#lastError = (err as Error).message;
      return;
    }
    this.#lastStat = fingerprint(s);
    this.#lastError = undefined;
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash === this.#lastHash) return; // touched, not changed
    this.#lastHash = hash;
    if (this.#stopped || this.#sink === undefined) return;
    try {
      await this.#sink(bytes, this.location);
    } catch {
      // The manager has logged and recorded the refusal; the previous policy stays active.
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    await this.#running;
  }

  status(): SourceStatus {
    return sourceStatus(this.location, this.#lastError, this.#lastCheckAt);
  }
}
