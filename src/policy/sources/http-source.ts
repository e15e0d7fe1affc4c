/**
 * A bundle served over HTTP(S), polled like OPA's bundle downloader: conditional GETs with
 * If-None-Match (304 = unchanged), exponential backoff with jitter while the server fails, and
 * the last activated bundle persisted to disk for a cold start while the server is down.
 *
 * A bundle the manager refuses is not a transport failure: polling goes on at the normal pace
 * and its ETag is not remembered, so the server is asked again until it serves a good bundle.
 */
import { RegateError } from '../../errors.ts';
import { DEFAULT_MAX_BUNDLE_BYTES } from '../bundle/archive.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../../util/backoff.ts';
import { redactUrl, redactUrlsIn, splitCredentials } from '../../config/redact-url.ts';
import { loadBundle, saveBundle } from './persist.ts';
import { silentLogger, type BundleSink, type BundleSource, type SourceLogger, type SourceStatus, sourceStatus } from './source.ts';

export interface HttpSourceOptions {
  readonly url: string;
  readonly pollMs: number;
  /** Extra request headers (e.g. Authorization for the bundle server). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout. Default 30 s. */
  readonly timeoutMs?: number;
  /** Directory for the last good bundle; absent: nothing is persisted. */
  readonly persistDir?: string;
  readonly maxBytes?: number;
  readonly backoff?: BackoffOptions;
  readonly log?: SourceLogger;
  readonly random?: () => number;
}

export class HttpBundleSource implements BundleSource {
  readonly location: string;
  readonly #options: HttpSourceOptions;
  readonly #log: SourceLogger;
  #sink: BundleSink | undefined;
  #etag: string | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;
  #lastError: string | undefined;
  #lastCheckAt: string | undefined;

  constructor(options: HttpSourceOptions) {
    // What operators see (status, logs, errors, the persisted copy's label): never the URL's
    // query or userinfo, which may hold a SAS token or password. Only fetch() gets the full URL.
    this.location = redactUrl(options.url);
    this.#options = options;
    this.#log = options.log ?? silentLogger;
  }

  async start(sink: BundleSink): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    const { persistDir } = this.#options;
    if (persistDir !== undefined) {
      const saved = await loadBundle(persistDir, this.location);
      if (saved !== undefined) {
        try {
          await sink(saved.bytes, `${persistDir} (persisted ${saved.savedAt})`);
          this.#etag = saved.etag;
        } catch (err) {
          this.#log.warn({ err, dir: persistDir }, 'persisted policy bundle refused; waiting for the bundle server');
        }
      }
    }
    await this.#pollOnce();
    this.#scheduleNext();
  }

  /** Milliseconds until the next poll: the poll interval (+/-10%), or the backoff after failures. */
  #nextDelay(): number {
    const random = this.#options.random ?? Math.random;
    if (this.#failures > 0) return backoffDelay(this.#failures, this.#options.backoff ?? DEFAULT_BACKOFF, random);
    return Math.round(this.#options.pollMs * (0.9 + 0.2 * random()));
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#inFlight = this.#pollOnce().finally(() => {
        this.#inFlight = undefined;
        this.#scheduleNext();
      });
    }, this.#nextDelay());
    this.#timer.unref();
  }

  async #pollOnce(): Promise<void> {
    this.#lastCheckAt = new Date().toISOString();
    let bytes: Buffer | undefined;
    let etag: string | undefined;
    try {
      ({ bytes, etag } = await this.#fetch());
      this.#failures = 0;
      this.#lastError = undefined;
    } catch (err) {
      this.#failures++;
      this.#lastError = (err as Error).message;
      this.#log.warn({ err, url: this.location, failures: this.#failures }, 'policy bundle download failed; keeping the active policy');
      return;
    }
    if (bytes === undefined || this.#stopped || this.#sink === undefined) return; // 304
    try {
      await this.#sink(bytes, this.location);
    } catch {
      return; // refused: logged and reported by the manager; the old policy stays
    }
    this.#etag = etag;
    if (this.#options.persistDir !== undefined) {
      try {
        await saveBundle(this.#options.persistDir, { bytes, url: this.location, ...(etag !== undefined ? { etag } : {}) });
      } catch (err) {
        this.#log.warn({ err, dir: this.#options.persistDir }, 'cannot persist the policy bundle');
      }
    }
  }

  async #fetch(): Promise<{ bytes?: Buffer; etag?: string }> {
    const headers: Record<string, string> = { accept: 'application/gzip, application/octet-stream, */*', ...this.#options.headers };
    if (this.#etag !== undefined) headers['if-none-match'] = this.#etag;
    this.#abort = new AbortController();
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs ?? 30_000)]);
    let res: Response;
    try {
      const { url, authorization } = splitCredentials(this.#options.url);
      if (authorization !== undefined) headers['authorization'] ??= authorization;
      res = await fetch(url, { headers, signal, redirect: 'follow' });
    } catch (err) {
      // fetch's messages can quote the URL it was given: redact them, and keep no `cause` that would.
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new RegateError('REGATE_ERR_BUNDLE_FETCH', redactUrlsIn(`${this.location}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`));
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return {};
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new RegateError('REGATE_ERR_BUNDLE_FETCH', `${this.location}: HTTP ${res.status}`);
    }
    const max = this.#options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > max) {
      await res.body?.cancel();
      throw new RegateError('REGATE_ERR_BUNDLE_TOO_LARGE', `${this.location} is ${declared} bytes`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > max) throw new RegateError('REGATE_ERR_BUNDLE_TOO_LARGE', `${this.location} is ${bytes.length} bytes`);
    const etag = res.headers.get('etag') ?? undefined;
    return etag !== undefined ? { bytes, etag } : { bytes };
  }

  /** Polls now (for tests and an operator's "reload"); resolves when the poll is done. */
  async pollNow(): Promise<void> {
    await this.#inFlight;
    clearTimeout(this.#timer);
    this.#inFlight = this.#pollOnce().finally(() => {
      this.#inFlight = undefined;
    });
    await this.#inFlight;
    this.#scheduleNext();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
    await this.#inFlight;
  }

  status(): SourceStatus {
    return sourceStatus(this.location, this.#lastError, this.#lastCheckAt);
  }
}
