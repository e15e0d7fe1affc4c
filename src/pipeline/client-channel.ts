/**
 * A way for a stage to put a request of regate's own to the client while one of its calls is
 * held: the one thing regate asks today is the requester's justification for an approval, as a
 * form elicitation. The proxy offers a channel once it knows how the held call is answered (an
 * SSE stream can carry a request; a plain JSON answer cannot), and a stage waits for that offer.
 *
 * The slot is kept per exchange in a WeakMap so that exchanges that never hold anything pay
 * nothing for it.
 */
import type { CallRecord, ExchangeFacts } from './call-record.ts';

/** What came back for a request regate put to the client. */
export type ClientAnswer =
  | { readonly kind: 'result'; readonly result: unknown }
  | { readonly kind: 'error'; readonly message: string }
  /** No answer: it timed out, the stream closed, the call stopped waiting, or too many requests wait already. */
  | { readonly kind: 'unanswered'; readonly why: 'timeout' | 'closed' | 'aborted' | 'limit' };

export interface ClientChannel {
  /**
   * Sends a JSON-RPC request with a fresh, unguessable id on the held call's stream and resolves
   * with the client's answer; never rejects. The answer is accepted only from the principal, the
   * connection and the session of the held call. The request is recorded as a message of `o.call`.
   */
  request(method: string, params: Record<string, unknown>, o: { readonly call: CallRecord; readonly signal: AbortSignal; readonly timeoutMs: number }): Promise<ClientAnswer>;
}

interface Slot {
  readonly promise: Promise<ClientChannel | undefined>;
  resolve(channel: ClientChannel | undefined): void;
}

const slots = new WeakMap<ExchangeFacts, Slot>();

function slotOf(facts: ExchangeFacts): Slot {
  let slot = slots.get(facts);
  if (slot === undefined) {
    let resolve!: (c: ClientChannel | undefined) => void;
    const promise = new Promise<ClientChannel | undefined>((r) => (resolve = r));
    slot = { promise, resolve };
    slots.set(facts, slot);
  }
  return slot;
}

/** The exchange's channel to its client, once the proxy has said whether there is one. */
export function clientChannelOf(facts: ExchangeFacts): Promise<ClientChannel | undefined> {
  return slotOf(facts).promise;
}

/** Says whether the exchange's held calls can ask the client (undefined: they cannot). First offer wins. */
export function offerClientChannel(facts: ExchangeFacts, channel: ClientChannel | undefined): void {
  slotOf(facts).resolve(channel);
}
