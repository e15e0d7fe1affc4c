import type { Logger } from 'pino';
import type { ConnectionConfig } from '../config/schema.ts';
import { RegateError } from '../errors.ts';
import type { Principal } from '../identity/principal.ts';
import { idOf, kindOf, methodOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { decisionLogRecord, type DecisionLogRecord } from '../policy/decision-log.ts';
import { buildPolicyInput, type HttpOperation, type InputContext, type PolicyInput, type ToolAnnotations } from '../policy/input.ts';
import type { ExchangeContext, MessageHook } from '../proxy/hook.ts';
import { BoundedMap } from './bounded-map.ts';
import { denialReply, denialText } from './denial.ts';
import { filterListResult, isFilteredList, type ListProbe } from '../policy/list-filter.ts';

export type PolicyMode = 'enforce' | 'shadow';

/** The policy's decision-log record plus what only the gateway knows about the exchange. */
export interface DecisionRecord extends DecisionLogRecord {
  /** False in shadow mode: decided and recorded, not applied. */
  readonly enforced: boolean;
  readonly request_id: string;
  readonly principal_type: string | undefined;
}

export interface PolicyHookOptions {
  /** Decides one input with the active bundle; never throws (fails closed inside). */
  readonly evaluate: (input: PolicyInput) => PolicyDecision;
  /** `policy.mode`, possibly overridden per connection. */
  readonly modeFor: (connection: ConnectionConfig) => PolicyMode;
  /** Receives every decision (log line, metrics, transcript). */
  readonly onDecision: (record: DecisionRecord, decision: PolicyDecision) => void;
  readonly log: Logger;
  /** Clock, nanoseconds since the epoch; injectable for tests. */
  readonly now?: () => bigint;
}

/** What the hook remembers about a forwarded request, handed back with its response. */
export interface ForwardNote {
  readonly decision: PolicyDecision;
  readonly method: string;
}

function listMethodByShape(result: Record<string, unknown>): string | undefined {
  if (Array.isArray(result.tools)) return 'tools/list';
  if (Array.isArray(result.prompts)) return 'prompts/list';
  if (Array.isArray(result.resources)) return 'resources/list';
  return undefined;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * Policy enforcement at the message hook: every client message and HTTP operation is decided by
 * the active bundle before anything goes upstream; denials are answered by regate; listings are
 * filtered so a principal sees only what it could use. In shadow mode everything is decided and
 * recorded, nothing is blocked or filtered.
 */
export function createPolicyHook(o: PolicyHookOptions): MessageHook {
  const now = o.now ?? nowNs;
  // Tool annotations come from the upstream's own tools/list answers, never from the client.
  const annotations = new BoundedMap<string, ToolAnnotations>(10_000);
  const calls = new BoundedMap<string, number>(10_000);

  const inputFor = (ctx: ExchangeContext, parts: Pick<InputContext, 'message' | 'httpOperation'> & Partial<ListProbe>, count: boolean): PolicyInput => {
    // input.session.calls counts the tools/call requests made before this one (the policy's limit
    // reads so), per principal, connection and session: the session id is the client's header, so
    // it never lets one caller spend (or reset) another's count. Without a session id (stateless
    // upstreams) the calls are counted per principal and connection, never not at all.
    const principalId = (ctx.principal as Principal | undefined)?.id ?? '';
    const sessionKey = `${principalId}\u0000${ctx.connection.name}\u0000${ctx.sessionId ?? ''}`;
    const n = calls.get(sessionKey) ?? 0;
    if (count) calls.set(sessionKey, n + 1);
    const params = (parts.message as { params?: { name?: unknown } } | undefined)?.params;
    const toolName = typeof params?.name === 'string' ? params.name : undefined;
    const toolAnnotations = parts.toolAnnotations ?? (toolName !== undefined ? annotations.get(`${ctx.connection.name}\u0000${toolName}`) : undefined);
    return buildPolicyInput({
      principal: ctx.principal as Principal | undefined,
      connection: { name: ctx.connection.name, tags: ctx.connection.tags },
      ...(parts.message !== undefined ? { message: parts.message } : {}),
      ...(parts.httpOperation !== undefined ? { httpOperation: parts.httpOperation } : {}),
      session: { id: ctx.sessionId, calls: n },
      http: { method: ctx.http.method, path: ctx.http.path, remote_addr: ctx.http.remoteAddress, headers: ctx.http.headers },
      now: now(),
      ...(toolAnnotations !== undefined ? { toolAnnotations } : {}),
    });
  };

  const decide = (ctx: ExchangeContext, input: PolicyInput, record: boolean): { decision: PolicyDecision; enforced: boolean } => {
    const decision = o.evaluate(input);
    const enforced = o.modeFor(ctx.connection) === 'enforce';
    if (record) {
      const base = decisionLogRecord(decision, input, { shadowed: !enforced && decision.outcome !== 'allow' });
      const principal = ctx.principal as Principal | undefined;
      o.onDecision({ ...base, enforced, request_id: ctx.requestId, principal_type: principal?.type }, decision);
    }
    return { decision, enforced };
  };

  return {
    async onClientMessage(ctx, message) {
      const kind = kindOf(message);
      const input = inputFor(ctx, { message: message as unknown as Record<string, unknown> }, kind === 'request' && methodOf(message) === 'tools/call');
      const { decision, enforced } = decide(ctx, input, true);
      const note: ForwardNote = { decision, method: input.mcp.method };
      if (decision.outcome === 'allow' || !enforced) return { action: 'forward', message, note };
      const id = idOf(message);
      if (kind !== 'request' || id === undefined) {
        // Notifications and responses cannot be answered; refusing them means not delivering them.
        return { action: 'reply' };
      }
      const tool = typeof input.mcp.tool?.name === 'string' ? input.mcp.tool.name : undefined;
      return { action: 'reply', reply: denialReply(id, input.mcp.method, tool, decision) };
    },

    async onServerMessage(ctx, message, request) {
      if (kindOf(message) !== 'response') return message;
      const result = (message as { result?: Record<string, unknown> }).result;
      if (result === undefined) return message;
      // A listing regate cannot tie to its request (e.g. replayed on a resumed GET stream) is still
      // filtered: the method is recognised by the result's shape, so it never goes out unchecked.
      // The shape is a floor, not a fallback: whatever request the answer claims to belong to, a
      // result shaped like a listing is filtered as one.
      const noted = (request?.note as ForwardNote | undefined)?.method;
      const method = noted !== undefined && isFilteredList(noted) ? noted : listMethodByShape(result);
      if (method === undefined || !isFilteredList(method)) return message;
      const filtered = filterListResult(method, result, (probe) => decide(ctx, inputFor(ctx, probe, false), false).decision);
      for (const [name, a] of filtered.toolAnnotations) annotations.set(`${ctx.connection.name}\u0000${name}`, a);
      // Shadow mode shows everything; what it would hide is in the debug log.
      const enforce = o.modeFor(ctx.connection) === 'enforce';
      if (filtered.hidden.length === 0) return message;
      o.log.debug({ connection: ctx.connection.name, method, hidden: filtered.hidden, enforced: enforce }, 'listing filtered by policy');
      return enforce ? ({ ...message, result: filtered.result } as JSONRPCMessage) : message;
    },

    async onHttpOperation(ctx, op: HttpOperation) {
      const input = inputFor(ctx, { httpOperation: op }, false);
      const { decision, enforced } = decide(ctx, input, true);
      if (decision.outcome === 'allow' || !enforced) return undefined;
      return new RegateError('REGATE_ERR_POLICY_DENIED', denialText(input.mcp.method, undefined, decision));
    },
  };
}

