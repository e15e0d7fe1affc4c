import type { Logger } from 'pino';
import type { ConnectionConfig } from '../config/schema.ts';
import { RegateError } from '../errors.ts';
import { errorResponseFor, idOf, kindOf, methodOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import type { Stage } from '../pipeline/stage.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { decisionLogRecord, type DecisionLogRecord } from '../policy/decision-log.ts';
import { buildPolicyInput, type ApprovalInput, type HttpOperation, type InputContext, type PolicyInput, type ToolAnnotations } from '../policy/input.ts';
import { filterDiscoverResult, filterListResult, isFilteredList, type ListProbe } from '../policy/list-filter.ts';
import { decideInputRequests, isInputRequired, markPrivate, requestStateDigest, type InputRequestEntry } from '../mcp/input-required.ts';
import { isRegateRequestId, REGATE_INPUT_KEY_PREFIX, REGATE_REQUEST_ID_PREFIX } from '../mcp/reserved.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import { sessionDigest } from '../util/session-digest.ts';
import { BoundedMap } from './bounded-map.ts';
import { denialReply, denialText } from './denial.ts';

export type PolicyMode = 'enforce' | 'shadow';

/** The policy's decision-log record plus what only the gateway knows about the exchange. */
export interface DecisionRecord extends DecisionLogRecord {
  /** False in shadow mode: decided and recorded, not applied. */
  readonly enforced: boolean;
  readonly request_id: string;
  /** The client's own X-Request-Id, when it sent one (never used as regate's id). */
  readonly client_request_id?: string;
  readonly principal_type: string | undefined;
  /** `server_to_client` for a server's own request, notification or an uncorrelated response. */
  readonly direction?: 'server_to_client';
}

export interface PolicyStageOptions {
  /** Decides one input with the active bundle; never throws (fails closed inside). */
  readonly evaluate: (input: PolicyInput) => PolicyDecision;
  /** `policy.mode`, possibly overridden per connection. */
  readonly modeFor: (connection: ConnectionConfig) => PolicyMode;
  /** Receives every decision (log line, metrics, transcript). */
  readonly onDecision: (record: DecisionRecord, decision: PolicyDecision) => void;
  /** A server message refused by policy (answered upstream, or dropped). */
  readonly onServerRefused?: (connection: string, method: string) => void;
  readonly log: Logger;
  /** Clock, nanoseconds since the epoch; injectable for tests. */
  readonly now?: () => bigint;
  /** Where tools/call counts live, shared by every replica; default: a store of this process. */
  readonly store?: Store;
  /** True when an approvals stage follows: an `approval` outcome goes on to it instead of being refused. */
  readonly approvals?: boolean;
}

/** The policy stage, plus the re-check of a call a human approved (used by the approvals stage). */
export interface PolicyStage extends Stage {
  /** Decides `call` again with `input.approval` (recorded like any decision); never throws. */
  redecide(call: CallRecord, approval: ApprovalInput): Promise<PolicyDecision>;
}

/** A call count lives this long after the session's (or principal's) first counted call. */
const CALLS_TTL_MS = 24 * 60 * 60 * 1000;

function listMethodByShape(result: Record<string, unknown>): string | undefined {
  if (Array.isArray(result.tools)) return 'tools/list';
  if (Array.isArray(result.prompts)) return 'prompts/list';
  if (Array.isArray(result.resources)) return 'resources/list';
  return undefined;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * The decide stage: every client message and HTTP operation is decided by the active bundle before
 * anything goes upstream, and denials are answered by regate. On the way back, listings are
 * filtered so a principal sees only what it could use, and what the upstream itself asks of the
 * client (sampling, elicitation, roots, logging, progress...) or sends without a request regate
 * can tie it to is decided with `input.mcp.direction: "server_to_client"`. In shadow mode
 * everything is decided and recorded, nothing is blocked or filtered.
 */
export function createPolicyStage(o: PolicyStageOptions): PolicyStage {
  const now = o.now ?? nowNs;
  // Tool annotations come from the upstream's own tools/list answers, never from the client.
  const annotations = new BoundedMap<string, ToolAnnotations>(10_000);
  const store = o.store ?? new MemoryStore();

  /**
   * input.session.calls: the tools/call requests made before this one (the policy's limit reads
   * so), per principal, connection and session, in the shared store so every replica and worker
   * counts the same session. The session is one the upstream issued to this principal (regate
   * refuses any other id before the pipeline), so a made-up id cannot reset the count. Without a
   * session id (stateless upstreams, the 2026 era) the calls are counted per principal and
   * connection, never not at all. The key holds a hash of the session id (the same on every
   * replica), not the id.
   */
  const callsBefore = async (x: ExchangeFacts, count: boolean): Promise<number> => {
    const session = x.sessionId === undefined ? '' : sessionDigest(x.sessionId);
    const key = `calls:${x.principal?.id ?? ''}\u0000${x.connection.name}\u0000${session}`;
    if (count) return (await store.increment(key, CALLS_TTL_MS)) - 1;
    const n = Number(await store.get(key));
    return Number.isInteger(n) && n > 0 ? n : 0;
  };

  const inputFor = (
    x: ExchangeFacts,
    parts: Pick<InputContext, 'message' | 'httpOperation' | 'direction' | 'approval'> & Partial<ListProbe>,
    n: number,
  ): PolicyInput => {
    const params = (parts.message as { params?: { name?: unknown } } | undefined)?.params;
    const toolName = typeof params?.name === 'string' ? params.name : undefined;
    const toolAnnotations = parts.toolAnnotations ?? (toolName !== undefined ? annotations.get(`${x.connection.name}\u0000${toolName}`) : undefined);
    // Optional parts assigned by name, not spread in: this runs for every decision.
    const ctx: { -readonly [K in keyof InputContext]: InputContext[K] } = {
      principal: x.principal,
      connection: { name: x.connection.name, tags: x.connection.tags },
      session: { id: x.sessionId, calls: n },
      http: { method: x.http.method, path: x.http.path, remote_addr: x.http.remoteAddress, headers: x.http.headers },
      now: now(),
    };
    if (parts.message !== undefined) ctx.message = parts.message;
    if (parts.httpOperation !== undefined) ctx.httpOperation = parts.httpOperation;
    if (parts.direction !== undefined) ctx.direction = parts.direction;
    if (x.protocolVersion !== undefined) ctx.protocolVersion = x.protocolVersion;
    if (x.client !== undefined) ctx.client = x.client;
    if (toolAnnotations !== undefined) ctx.toolAnnotations = toolAnnotations;
    if (parts.approval !== undefined) ctx.approval = parts.approval;
    return buildPolicyInput(ctx);
  };

  const decide = (x: ExchangeFacts, input: PolicyInput, record: boolean): { decision: PolicyDecision; enforced: boolean } => {
    const decision = o.evaluate(input);
    const enforced = o.modeFor(x.connection) === 'enforce';
    if (record) {
      // The policy's record, completed in place (a fresh object; no spreads: this runs on every call).
      const r = decisionLogRecord(decision, input, { shadowed: !enforced && decision.outcome !== 'allow' }) as { -readonly [K in keyof DecisionRecord]: DecisionRecord[K] };
      // Session ids leave regate only as their keyed hash (a logged id could be replayed).
      if (r.session_id !== undefined) r.session_id = x.sessionRef;
      r.enforced = enforced;
      r.request_id = x.requestId;
      if (x.clientRequestId !== undefined) r.client_request_id = x.clientRequestId;
      r.principal_type = x.principal?.type;
      if (input.mcp.direction === 'server_to_client') r.direction = 'server_to_client';
      o.onDecision(r, decision);
    }
    return { decision, enforced };
  };

  /** A server request or notification, or a response regate cannot tie to a request. */
  const decideServerMessage = async (m: JSONRPCMessage, call: CallRecord, x: ExchangeFacts, answer: (reply: JSONRPCMessage) => Promise<void>): Promise<JSONRPCMessage | null> => {
    const id = idOf(m);
    if (kindOf(m) === 'request' && isRegateRequestId(id)) {
      // The client's answer would be taken as an answer to regate's own request: never delivered.
      o.log.warn({ connection: x.connection.name, method: methodOf(m) }, 'refused a server request whose id is in regate\'s namespace');
      o.onServerRefused?.(x.connection.name, methodOf(m) ?? 'rpc/request');
      await answer(errorResponseFor(id, new RegateError('REGATE_ERR_RESERVED_NAME', `request ids starting with "${REGATE_REQUEST_ID_PREFIX}" are regate's own`)) as JSONRPCMessage);
      return null;
    }
    const input = inputFor(x, { message: m as unknown as Record<string, unknown>, direction: 'server_to_client' }, await callsBefore(x, false));
    const { decision, enforced } = decide(x, input, true);
    call.decision = decision;
    call.enforced = enforced;
    if (decision.outcome === 'allow' || !enforced) return m;
    const method = methodOf(m) ?? 'rpc/response';
    o.onServerRefused?.(x.connection.name, method);
    if (kindOf(m) === 'request' && id !== undefined) {
      // The upstream waits for an answer: it gets the refusal, the client never sees the request.
      const err = new RegateError('REGATE_ERR_POLICY_DENIED', denialText(method, undefined, decision));
      await answer(errorResponseFor(id, err) as JSONRPCMessage);
    }
    return null;
  };

  return {
    name: 'policy',

    async request(call: CallRecord) {
      const x = call.exchange;
      const m = call.message;
      const kind = kindOf(m);
      const input = inputFor(x, { message: m as unknown as Record<string, unknown> }, await callsBefore(x, kind === 'request' && call.method === 'tools/call'));
      const { decision, enforced } = decide(x, input, true);
      call.decision = decision;
      call.enforced = enforced;
      call.timings.decidedNs = process.hrtime.bigint();
      if (decision.outcome === 'allow' || !enforced) return { action: 'continue' };
      if (decision.outcome === 'approval' && o.approvals === true && kind === 'request') return { action: 'continue' };
      const id = idOf(m);
      // Notifications and responses cannot be answered; refusing them means not delivering them.
      if (kind !== 'request' || id === undefined) return { action: 'reply' };
      const tool = typeof input.mcp.tool?.name === 'string' ? input.mcp.tool.name : undefined;
      return { action: 'reply', reply: denialReply(id, input.mcp.method, tool, decision, x.era) };
    },

    async redecide(call, approval) {
      // The call was counted when it was first decided; the re-check sees the count it saw then.
      const now = await callsBefore(call.exchange, false);
      const n = call.method === 'tools/call' ? Math.max(0, now - 1) : now;
      const input = inputFor(call.exchange, { message: call.message as unknown as Record<string, unknown>, approval }, n);
      const { decision } = decide(call.exchange, input, true);
      return decision;
    },

    async fromServer(message, call, x, upstream) {
      if (call.direction === 'client_to_server') return filterListing(await decideInputRequired(message, call, x), call, x);
      // The upstream's own request or notification, or an answer regate cannot tie to a request
      // (replayed on a resumed GET stream): decided server_to_client. Such an answer is still
      // filtered if it is shaped like a listing.
      const decided = await decideServerMessage(message, call, x, (r) => upstream.answer(r));
      if (decided === null || kindOf(message) === 'request' || kindOf(message) === 'notification') return decided;
      return filterListing(decided, undefined, x);
    },

    async httpOperation(op: HttpOperation, x) {
      const input = inputFor(x, { httpOperation: op }, await callsBefore(x, false));
      const { decision, enforced } = decide(x, input, true);
      if (decision.outcome === 'allow' || !enforced) return undefined;
      return new RegateError('REGATE_ERR_POLICY_DENIED', denialText(input.mcp.method, undefined, decision));
    },
  };

  /**
   * A 2026-era `input_required` result: each embedded request is decided as the server->client
   * request it stands for (and logged as one); refused ones are removed, and when none is left
   * the client's request is answered with the refusal. `requestState` goes through unchanged and
   * only ever into logs as a digest.
   */
  async function decideInputRequired(message: JSONRPCMessage, call: CallRecord | undefined, x: ExchangeFacts): Promise<JSONRPCMessage> {
    const result = (message as { result?: unknown }).result;
    if (!isInputRequired(result)) return message;
    const enforce = o.modeFor(x.connection) === 'enforce';
    const n = await callsBefore(x, false);
    const outcome = await decideInputRequests(result as Record<string, unknown>, (entry: InputRequestEntry) => {
      // The client's answer under such a key would be taken as an answer to regate's own form.
      if (entry.key.startsWith(REGATE_INPUT_KEY_PREFIX)) return { allow: false, reason: `input request keys starting with "${REGATE_INPUT_KEY_PREFIX}" are regate's own` };
      const embedded = { jsonrpc: '2.0', id: entry.key, method: entry.method, ...(entry.params !== undefined ? { params: entry.params } : {}) };
      const { decision } = decide(x, inputFor(x, { message: embedded, direction: 'server_to_client' }, n), true);
      if (decision.outcome === 'allow' || !enforce) return { allow: true };
      o.onServerRefused?.(x.connection.name, entry.method || 'input_required');
      return { allow: false, reason: denialText(entry.method, undefined, decision) };
    });
    if (outcome.kind === 'unchanged') return message;
    const state = (result as { requestState?: unknown }).requestState;
    o.log.info(
      {
        connection: x.connection.name,
        method: call?.method,
        refused: outcome.refused,
        ...(typeof state === 'string' ? { request_state: requestStateDigest(state) } : {}),
      },
      'input requests refused by policy',
    );
    if (outcome.kind === 'filtered') return { ...message, result: outcome.result } as JSONRPCMessage;
    const id = idOf(message);
    return id === undefined ? message : (errorResponseFor(id, outcome.error) as JSONRPCMessage);
  }

  async function filterListing(message: JSONRPCMessage, call: CallRecord | undefined, x: ExchangeFacts): Promise<JSONRPCMessage> {
    const result = (message as { result?: Record<string, unknown> }).result;
    if (result === undefined) return message;
    // A listing regate cannot tie to its request is still filtered: the method is recognised by
    // the result's shape, so it never goes out unchecked. The shape is a floor, not a fallback:
    // whatever request the answer claims to belong to, a result shaped like a listing is filtered.
    const noted = call?.method;
    const method = noted !== undefined && (isFilteredList(noted) || noted === 'server/discover') ? noted : listMethodByShape(result);
    if (method === undefined) return message;
    const n = await callsBefore(x, false);
    const probe = (p: ListProbe) => decide(x, inputFor(x, p, n), false).decision;
    const filtered = isFilteredList(method) ? filterListResult(method, result, probe) : filterDiscoverResult(result, probe);
    for (const [name, a] of filtered.toolAnnotations) annotations.set(`${x.connection.name}\u0000${name}`, a);
    // Shadow mode shows everything; what it would hide is in the debug log.
    const enforce = o.modeFor(x.connection) === 'enforce';
    if (!enforce) {
      if (filtered.hidden.length > 0) o.log.debug({ connection: x.connection.name, method, hidden: filtered.hidden, enforced: false }, 'listing filtered by policy');
      return message;
    }
    if (filtered.hidden.length > 0) o.log.debug({ connection: x.connection.name, method, hidden: filtered.hidden, enforced: true }, 'listing filtered by policy');
    // What a principal sees depends on who asks, removed items or not: never cacheable for others.
    const out = markPrivate(method, filtered.hidden.length > 0 ? filtered.result : result, x.era);
    return out === result ? message : ({ ...message, result: out } as JSONRPCMessage);
  }
}
