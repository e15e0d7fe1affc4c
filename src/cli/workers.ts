/**
 * `regate serve --workers N|auto`, the pure part: what the flag means, and when the primary restarts a
 * crashed worker (with backoff) or gives up because workers keep crashing.
 */
import { RegateError } from '../errors.ts';
import { backoffDelay, type BackoffOptions } from '../util/backoff.ts';

/** The number of worker processes `--workers` asks for; `auto` = the cores this process may use. */
export function parseWorkers(value: string | undefined, availableParallelism: number): number {
  if (value === undefined) return 1;
  if (value === 'auto') return Math.max(1, availableParallelism);
  if (!/^[1-9][0-9]{0,3}$/.test(value)) {
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', `--workers: expected a positive whole number or "auto", got "${value}"`);
  }
  return Number(value);
}

export interface RestartOptions {
  /** More crashes than this within `windowMs` and the primary gives up. */
  readonly maxCrashes: number;
  readonly windowMs: number;
  readonly backoff: BackoffOptions;
}

export const DEFAULT_RESTART: RestartOptions = { maxCrashes: 5, windowMs: 60_000, backoff: { baseMs: 250, maxMs: 10_000, factor: 1.6, jitter: 0.1 } };

export type RestartDecision = { readonly restart: true; readonly delayMs: number } | { readonly restart: false; readonly crashes: number };

/**
 * Counts worker crashes over a sliding window. One crash now and then is restarted at once-ish;
 * a burst backs off (so a worker that dies on every request does not spin the CPU), and more than
 * `maxCrashes` in the window means something is wrong that restarting will not fix.
 */
export class RestartPolicy {
  readonly #crashes: number[] = [];
  readonly #opts: RestartOptions;
  readonly #random: () => number;

  constructor(opts: RestartOptions = DEFAULT_RESTART, random: () => number = Math.random) {
    this.#opts = opts;
    this.#random = random;
  }

  /** Records a crash at `now` (ms) and says what to do about it. */
  crashed(now: number): RestartDecision {
    this.#crashes.push(now);
    while (this.#crashes.length > 0 && this.#crashes[0]! <= now - this.#opts.windowMs) this.#crashes.shift();
    const n = this.#crashes.length;
    if (n > this.#opts.maxCrashes) return { restart: false, crashes: n };
    // The first crash in a quiet window restarts after the base delay; each further one waits longer.
    return { restart: true, delayMs: backoffDelay(n - 1, this.#opts.backoff, this.#random) || this.#opts.backoff.baseMs };
  }
}
