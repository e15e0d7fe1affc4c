/**
 * Retry delays shaped like OPA's util.Backoff: the base delay grows by a factor (1.6) per retry up
 * to a cap, then a random jitter (default +/-10%) keeps a fleet of regate instances from retrying
 * in lockstep. Shared by every retry loop (bundle downloads, Redis reconnects).
 */

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  /** Fraction of the delay to randomise, both ways. */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 120_000, factor: 1.6, jitter: 0.1 };

/** Delay before retry number `retries` (1 = first retry); `random` returns [0, 1). */
export function backoffDelay(retries: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  if (retries <= 0) return 0;
  const factor = options.factor ?? 1.6;
  const jitter = options.jitter ?? 0.1;
  let delay = options.baseMs;
  for (let i = 0; i < retries && delay < options.maxMs; i++) delay *= factor;
  delay = Math.min(delay, options.maxMs);
  return Math.round(delay * (1 - jitter + 2 * jitter * random()));
}
