import type { ServerResponse } from 'node:http';
import type { ExchangeFacts } from '../pipeline/call-record.ts';
import type { RequestIdClaims } from '../pipeline/compose.ts';

/**
 * Request ids still waiting for their answers, per session, across the concurrent POSTs of one
 * Streamable HTTP session. The upstream routes answers by id within a session: a second request
 * reusing a waiting id could get the first one's answer, checked and masked as if it answered the
 * second (a tools/call result masked by a ping's empty plan). Such a request is refused before the
 * pipeline decides it, as a reused id within one batch is. Per process: a session's concurrent POSTs
 * on other replicas are not seen (documented).
 */
export class InFlightRequests {
  readonly #bySession = new Map<string, Set<string>>();

  /** The key of the exchange's session (principal, connection, session), or undefined without one. */
  static keyOf(facts: ExchangeFacts): string | undefined {
    return facts.sessionId === undefined ? undefined : `${facts.principal?.id ?? ''}\u0000${facts.connection.name}\u0000${facts.sessionId}`;
  }

  /**
   * What `pipeline.admit` claims the request ids of one POST with: each id it claims stays in use
   * until `res` closes (or the pipeline releases it); undefined without a session.
   */
  claims(key: string | undefined, res: ServerResponse): RequestIdClaims | undefined {
    if (key === undefined) return undefined;
    const mine = new Set<string>();
    let closed = res.closed;
    const release = (id: string) => {
      if (!mine.delete(id)) return;
      const s = this.#bySession.get(key);
      if (s === undefined) return;
      s.delete(id);
      if (s.size === 0) this.#bySession.delete(key);
    };
    if (!closed) {
      res.once('close', () => {
        closed = true;
        for (const id of [...mine]) release(id);
      });
    }
    return {
      claim: (id) => {
        let set = this.#bySession.get(key);
        if (set?.has(id) === true) return false;
        // A client that hung up gets no answer: nothing to keep (and no close event to release it).
        if (closed) return true;
        if (set === undefined) this.#bySession.set(key, (set = new Set()));
        set.add(id);
        mine.add(id);
        return true;
      },
      release,
    };
  }

  /** How many ids are in use, over every session (for tests). */
  get size(): number {
    let n = 0;
    for (const s of this.#bySession.values()) n += s.size;
    return n;
  }
}
