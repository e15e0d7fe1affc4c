import type { ServerResponse } from 'node:http';
import { idKey, idOf, kindOf } from '../mcp/jsonrpc.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';

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

  /** What `pipeline.admit` checks new request ids against. */
  waiting(key: string | undefined): { has(idKey: string): boolean } | undefined {
    if (key === undefined) return undefined;
    return { has: (id) => this.#bySession.get(key)?.has(id) === true };
  }

  /** Marks the requests among `calls` as waiting until `res` closes. */
  holdUntilClosed(key: string | undefined, calls: readonly CallRecord[], res: ServerResponse): void {
    if (key === undefined) return;
    const ids: string[] = [];
    for (const c of calls) {
      const id = idOf(c.message);
      if (kindOf(c.message) === 'request' && id !== undefined) ids.push(idKey(id));
    }
    if (ids.length === 0) return;
    let set = this.#bySession.get(key);
    if (set === undefined) this.#bySession.set(key, (set = new Set()));
    for (const id of ids) set.add(id);
    res.once('close', () => {
      const s = this.#bySession.get(key);
      if (s === undefined) return;
      for (const id of ids) s.delete(id);
      if (s.size === 0) this.#bySession.delete(key);
    });
  }
}
