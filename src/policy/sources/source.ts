/**
 * Where bundles come from. A source watches its location and hands every new candidate tarball
 * to a sink (the PolicyManager), which verifies and activates it or throws why it refused it.
 * Format and verification live in ../bundle; when to fetch lives here (as in OPA, where
 * v1/bundle is separate from v1/plugins/bundle).
 */

export interface BundleSink {
  /** Verifies and activates a tarball; rejects (RegateError) when it is refused. */
  (tarball: Buffer, origin: string): Promise<void>;
}

export interface SourceStatus {
  readonly location: string;
  /** Last error talking to the location (not a refused bundle: the manager reports those). */
  readonly lastError?: string;
  readonly lastCheckAt?: string;
}

export interface BundleSource {
  /** A path or URL, for logs and /readyz. */
  readonly location: string;
  /**
   * Delivers the first bundle (awaiting the sink) and then keeps watching. Rejects only when the
   * source cannot start at all (e.g. a local file that is missing or refused).
   */
  start(sink: BundleSink): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
}

export interface SourceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: SourceLogger = { info() {}, warn() {}, error() {} };

/** A source's status from what it knows (both sources report the same shape). */
export function sourceStatus(location: string, lastError: string | undefined, lastCheckAt: string | undefined): SourceStatus {
  return {
    location,
    ...(lastError !== undefined ? { lastError } : {}),
    ...(lastCheckAt !== undefined ? { lastCheckAt } : {}),
  };
}
