import type { Server, ServerResponse } from 'node:http';

/**
 * Tracks in-flight requests and open streams so shutdown can drain: stop accepting, close listening
 * streams at once (clients reconnect elsewhere), let calls in progress finish until the deadline,
 * then cut what is left.
 */
export class Lifecycle {
  #draining = false;
  #inflight = 0;
  readonly #listenStreams = new Set<ServerResponse>();
  #idle: (() => void) | undefined;
  /** Held calls to interrupt when draining starts (answered, not cut). */
  readonly #holds = new Set<AbortController>();

  get draining(): boolean {
    return this.#draining;
  }
  get inflight(): number {
    return this.#inflight;
  }

  /** Counts a request until its response closes. */
  begin(res: ServerResponse): void {
    this.#inflight++;
    res.once('close', () => {
      this.#inflight--;
      if (this.#inflight === 0) this.#idle?.();
    });
  }

  /** Registers a stream; `listen` streams (GET) are closed as soon as draining starts. */
  trackStream(res: ServerResponse, kind: 'call' | 'listen'): () => void {
    if (kind !== 'listen') return () => {};
    if (this.#draining) {
      res.end();
      return () => {};
    }
    this.#listenStreams.add(res);
    return () => this.#listenStreams.delete(res);
  }

  /**
   * Aborts `controller` when draining starts (at once when already draining). Returns the function
   * that forgets it: call it when the exchange ends, which for most is without an abort.
   */
  onDrain(controller: AbortController): () => void {
    if (this.#draining) {
      controller.abort(new Error('draining'));
      return () => {};
    }
    this.#holds.add(controller);
    const forget = () => this.#holds.delete(controller);
    controller.signal.addEventListener('abort', forget, { once: true });
    return () => {
      controller.signal.removeEventListener('abort', forget);
      forget();
    };
  }

  /** How many controllers wait to be aborted by a drain (for tests: finished exchanges leave none). */
  get drainWatchers(): number {
    return this.#holds.size;
  }

  /** Drains the server; resolves when every request is done or the deadline passed. */
  async drain(server: Server, deadlineMs: number): Promise<{ cut: number }> {
    this.#draining = true;
    // A held call is something to answer (with a reason the agent can act on), not to cut.
    for (const c of [...this.#holds]) c.abort(new Error('draining'));
    server.close();
    server.closeIdleConnections();
    for (const res of this.#listenStreams) res.end();
    this.#listenStreams.clear();
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        timer.unref();
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const cut = this.#inflight;
    server.closeAllConnections();
    return { cut };
  }
}
