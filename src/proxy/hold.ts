import { RegateError } from '../errors.ts';
import { errorResponseFor, idOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { CallRecord } from '../pipeline/call-record.ts';
import type { Admission, HeldCall, Outgoing } from '../pipeline/compose.ts';
import type { ClientReply } from './client-reply.ts';
import { offerClientChannel } from '../pipeline/client-channel.ts';
import { requestOwnerOf } from './client-requests.ts';
import { acceptsSse, streamTracker, type Exchange, type ProxyDeps } from './streamable.ts';

type ForwardPart = (x: Exchange, deps: ProxyDeps, reply: ClientReply, calls: readonly CallRecord[], local: readonly Outgoing[], batch: boolean) => Promise<void>;

type Settled = { readonly forward: true } | { readonly forward: false; readonly reply?: JSONRPCMessage | undefined };

/**
 * Answers an exchange in which a stage holds one or more calls (an approval), without making the
 * rest of it wait. When the client accepts SSE, the answer opens as a stream at once: regate's own
 * replies go out, the calls that were not held are forwarded at once and their answer framed in,
 * keepalive comments flow (and progress notifications for a call that gave a `progressToken`),
 * and each held call is forwarded on its own when released, its answer framed into the same
 * stream. A client that accepts only JSON gets one JSON answer once every hold is settled.
 *
 * A client that hangs up cancels its holds (nothing is forwarded); a draining regate answers each
 * hold with REGATE_ERR_HOLD_INTERRUPTED, a reason the agent can act on.
 */
export async function holdCalls(x: Exchange, deps: ProxyDeps, reply: ClientReply, a: Admission, batch: boolean, forwardPart: ForwardPart): Promise<void> {
  const settled = a.held.map((h) => settleOrInterrupt(x, h));
  if (!acceptsSse(x.req)) {
    // A JSON answer is written once, at the end: nothing can be asked of the client meanwhile.
    offerClientChannel(x.facts, undefined);
    const outcomes = await Promise.all(settled);
    if (x.res.destroyed) return;
    const calls = [...a.forwarded];
    const local = [...a.local];
    outcomes.forEach((o, i) => {
      const call = a.held[i]!.call;
      if (o.forward) calls.push(call);
      else if (o.reply !== undefined) local.push({ message: o.reply, call });
    });
    if (calls.length === 0) return reply.messages(200, local, batch);
    return forwardPart(x, deps, reply, calls, local, batch);
  }

  reply.expectParts((a.forwarded.length > 0 ? 1 : 0) + a.held.length);
  // Each part forwarded into this one answer watches the client's response for a hang-up: a
  // batch of held calls adds a few listeners per call, by design (not a leak).
  x.res.setMaxListeners(x.res.getMaxListeners() + 4 * (a.held.length + 1));
  reply.openStream(200, {}, streamTracker(deps, x.connection.name, 'call'));
  for (const o of a.local) await reply.event(o);
  // Requests regate puts to the client while its calls wait go out on this stream.
  offerClientChannel(x.facts, deps.clientRequests?.channel(requestOwnerOf(x.facts), (request, call) => reply.event({ message: request, call })));
  const waiting = new Set(a.held);
  const keepalive = setInterval(() => void tick(reply, waiting), deps.holdKeepaliveSeconds * 1000);
  keepalive.unref();
  x.res.once('close', () => clearInterval(keepalive));

  const parts: Promise<void>[] = [];
  if (a.forwarded.length > 0) parts.push(forwardPart(x, deps, reply, a.forwarded, [], batch));
  a.held.forEach((h, i) => {
    parts.push(
      settled[i]!.then(async (o) => {
        waiting.delete(h);
        if (waiting.size === 0) clearInterval(keepalive);
        // A client that went away cancelled its call: it is never forwarded.
        if (reply.closed) return reply.partDone();
        if (o.forward) return forwardPart(x, deps, reply, [h.call], [], false);
        return reply.messages(200, o.reply !== undefined ? [{ message: o.reply, call: h.call }] : [], false);
      }),
    );
  });
  await Promise.all(parts);
  clearInterval(keepalive);
}

/** A hold's outcome, or an interruption answer when regate drains first. */
function settleOrInterrupt(x: Exchange, h: HeldCall): Promise<Settled> {
  const signal = x.facts.signal;
  return new Promise<Settled>((resolve) => {
    const onAbort = () => {
      const id = idOf(h.call.message);
      const err = new RegateError('REGATE_ERR_HOLD_INTERRUPTED', `the call waited for ${h.waitingFor}`);
      resolve({ forward: false, reply: id !== undefined && !x.res.destroyed ? (errorResponseFor(id, err) as JSONRPCMessage) : undefined });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    h.outcome.then(
      (o) => {
        signal.removeEventListener('abort', onAbort);
        resolve(signal.aborted ? { forward: false } : o);
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve({ forward: false });
      },
    );
  });
}

/** Keepalive, and progress for each held call whose client asked for it. */
async function tick(reply: ClientReply, waiting: ReadonlySet<HeldCall>): Promise<void> {
  if (!(await reply.comment(' keepalive: a call is held'))) return;
  for (const h of waiting) {
    const token = progressTokenOf(h.call.message);
    if (token === undefined) continue;
    const n = (progressCounts.get(h) ?? 0) + 1;
    progressCounts.set(h, n);
    const note = {
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: token, progress: n, message: `regate holds this call: waiting for ${h.waitingFor}` },
    } as JSONRPCMessage;
    if (!(await reply.event({ message: note, call: h.call }))) return;
  }
}

const progressCounts = new WeakMap<HeldCall, number>();

function progressTokenOf(m: JSONRPCMessage): string | number | undefined {
  const token = (m as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}
