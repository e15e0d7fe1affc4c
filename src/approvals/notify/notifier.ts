/**
 * Sends a new approval request to every configured target (webhook, Teams, Slack), each on its
 * own with retries and backoff. A failed notification never fails or delays the approval: the
 * request is already stored and shows on the page; failures are logged and counted.
 */
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../../util/backoff.ts';
import type { NotifierConfig } from '../config.ts';
import type { ApprovalRecord } from '../record.ts';
import { notificationFacts, slackMessage, teamsMessage } from './messages.ts';
import { SIGNATURE_HEADER, signWebhook } from './signature.ts';

export interface NotifierOptions {
  readonly targets: readonly NotifierConfig[];
  readonly log: Logger;
  /** The page link for one request. */
  readonly linkFor: (id: string) => string;
  /** Attempts per target (first try included). */
  readonly attempts?: number;
  readonly backoff?: BackoffOptions;
  readonly timeoutMs?: number;
  /** One outcome per target and request (metrics). */
  readonly onResult?: (type: NotifierConfig['type'], ok: boolean) => void;
  readonly fetch?: typeof fetch;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, factor: 1.6, jitter: 0.1 };

/** The HTTP request one target gets for one request. */
export function notificationRequest(target: NotifierConfig, r: ApprovalRecord, url: string, nowSeconds: number): { body: string; headers: Record<string, string> } {
  const facts = notificationFacts(r, url);
  const body = JSON.stringify(target.type === 'teams' ? teamsMessage(facts) : target.type === 'slack' ? slackMessage(facts) : facts);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'regate-approvals' };
  if (target.type === 'webhook') headers[SIGNATURE_HEADER] = signWebhook(target.secret, body, nowSeconds);
  return { body, headers };
}

export class Notifier {
  readonly #o: NotifierOptions;
  readonly #inflight = new Set<Promise<void>>();

  constructor(o: NotifierOptions) {
    this.#o = o;
  }

  /** Starts notifying every target about `r`; returns at once. */
  requested(r: ApprovalRecord): void {
    for (const t of this.#o.targets) {
      const p = this.#send(t, r).finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }
  }

  /** Resolves when every notification started so far has succeeded or given up (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  async #send(target: NotifierConfig, r: ApprovalRecord): Promise<void> {
    const attempts = this.#o.attempts ?? 5;
    const doFetch = this.#o.fetch ?? fetch;
    const host = new URL(target.url).host;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Signed afresh on each attempt: the timestamp must be current for the receiver.
      const { body, headers } = notificationRequest(target, r, this.#o.linkFor(r.id), Math.floor(Date.now() / 1000));
      let why: string;
      try {
        const res = await doFetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000), redirect: 'error' });
        await res.body?.cancel();
        if (res.ok) {
          this.#o.onResult?.(target.type, true);
          this.#o.log.info({ approval_id: r.id, notifier: target.type, host, attempt }, 'approval: notified');
          return;
        }
        why = `HTTP ${res.status}`;
        // A client error other than throttling will not get better by retrying.
        if (res.status < 500 && res.status !== 429 && res.status !== 408) attempt = attempts;
      } catch (err) {
        why = (err as Error).message;
      }
      this.#o.log.warn({ approval_id: r.id, notifier: target.type, host, attempt, why }, attempt < attempts ? 'approval: notification failed; retrying' : 'approval: notification failed; giving up (the request is on the page)');
      if (attempt < attempts) await new Promise((res) => setTimeout(res, backoffDelay(attempt, this.#o.backoff ?? DEFAULT_BACKOFF)));
    }
    this.#o.onResult?.(target.type, false);
  }
}
