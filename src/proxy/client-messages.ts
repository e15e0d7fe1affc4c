import type { Logger } from 'pino';
import { asRegateError, RegateError } from '../errors.ts';
import { errorResponseFor, idKey, idOf, kindOf, methodOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { ExchangeContext, MessageHook, PendingRequest } from './hook.ts';
import type { ProxyMetrics } from './metrics.ts';

export interface ClientDecisions {
  /** Messages to send upstream, in the client's order. */
  readonly forwarded: JSONRPCMessage[];
  /** Forwarded requests by id key, waiting for their responses. */
  readonly pending: Map<string, PendingRequest>;
  /** Answers regate gives itself (denials, hook failures). */
  readonly local: JSONRPCMessage[];
}

/**
 * Runs each client message through the hook, one by one and in order. A hook that throws denies
 * that message (fail closed): requests get a JSON-RPC error with their id, other messages are dropped.
 *
 * A request whose id is already waiting for an answer (earlier in the same batch, or in flight on
 * the same legacy SSE session: `inFlight`) is refused before the hook sees it: responses are tied to
 * their requests by id, and a reused id would let one request's answer be handled as another's
 * (for example a tools/list answer checked as if it answered a ping, and so not filtered).
 */
export async function decideClientMessages(
  ctx: ExchangeContext,
  messages: readonly JSONRPCMessage[],
  hook: MessageHook,
  metrics: ProxyMetrics,
  /** Read only when something goes wrong (the exchange's logger is made on first use). */
  logs: { readonly log: Logger },
  inFlight?: ReadonlyMap<string, PendingRequest>,
): Promise<ClientDecisions> {
  const forwarded: JSONRPCMessage[] = [];
  const pending = new Map<string, PendingRequest>();
  const local: JSONRPCMessage[] = [];
  for (const m of messages) {
    const kind = kindOf(m);
    metrics.message(ctx.connection.name, 'client', methodOf(m) ?? kind);
    const requestId = kind === 'request' ? idOf(m) : undefined;
    if (requestId !== undefined && (pending.has(idKey(requestId)) || inFlight?.has(idKey(requestId)))) {
      local.push(errorResponseFor(requestId, new RegateError('REGATE_ERR_INVALID_REQUEST', `request id ${JSON.stringify(requestId)} is already in use by a request still waiting for its answer; use a new id`)) as JSONRPCMessage);
      continue;
    }
    try {
      const v = await hook.onClientMessage(ctx, m);
      if (v.action === 'forward') {
        forwarded.push(v.message);
        const id = idOf(v.message);
        if (kindOf(v.message) === 'request' && id !== undefined) pending.set(idKey(id), { message: v.message, note: v.note });
      } else if (v.reply) {
        local.push(v.reply);
      }
    } catch (err) {
      const e = asRegateError(err);
      logs.log.error({ err: e, code: e.code, method: methodOf(m) }, 'message hook failed on a client message; denied');
      const id = idOf(m);
      if (kind === 'request' && id !== undefined) local.push(errorResponseFor(id, e) as JSONRPCMessage);
    }
  }
  return { forwarded, pending, local };
}
