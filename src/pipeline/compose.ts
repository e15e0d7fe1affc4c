/**
 * The composition: runs the configured stages in their one fixed order and is the only pipeline
 * object the proxy sees. The order itself is data, declared once in `orderStages` (./stages.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { RegateError, asRegateError } from '../errors.ts';
import { errorResponseFor, idKey, idOf, kindOf, methodOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { CallRecord, Direction, ExchangeFacts } from './call-record.ts';
import type { HttpOperation, ReleasedVerdict, RequestVerdict, Stage, UpstreamReply } from './stage.ts';

/** A message for the client, with the call it belongs to (for recording). */
export interface Outgoing {
  readonly message: JSONRPCMessage;
  readonly call?: CallRecord | undefined;
}

/** A call held by a stage: the proxy keeps the client's answer open until `outcome` settles. */
export interface HeldCall {
  readonly call: CallRecord;
  readonly waitingFor: string;
  /** Forward `call.forwarded`, or answer with `reply` (absent for notifications). */
  readonly outcome: Promise<{ readonly forward: true } | { readonly forward: false; readonly reply?: JSONRPCMessage | undefined }>;
}

/** What became of the messages of one client HTTP request. */
export interface Admission {
  /** Calls to send upstream now, in the client's order (the message to send is `call.forwarded`). */
  readonly forwarded: CallRecord[];
  /** Answers regate gives itself (refusals, failures), in the client's order. */
  readonly local: Outgoing[];
  /** Calls a stage holds (approvals); each is forwarded or answered on its own later. */
  readonly held: HeldCall[];
}

/**
 * The request ids of one session still waiting for their answers. `claim` records an id in the
 * same synchronous step as its check (false: already in use), so two POSTs of one session admitted
 * together cannot both take it while their stages run; `release` gives back the id of a call the
 * pipeline answered itself (it never reaches the upstream).
 */
export interface RequestIdClaims {
  claim(idKey: string, call: CallRecord): boolean;
  release(idKey: string): void;
}

/** What the pipeline needs to know about the process. */
export interface PipelineDeps {
  readonly log: Logger;
  /** Counts each message (connection, direction, method). */
  readonly countMessage?: (connection: string, direction: 'client' | 'server', method: string) => void;
}

export interface Pipeline {
  /**
   * Client -> upstream: every message of one HTTP request through the request stages, in order.
   * `claims`: the session's ids in use; a request reusing one is refused, the others claim theirs.
   */
  admit(exchange: ExchangeFacts, messages: readonly JSONRPCMessage[], claims?: RequestIdClaims): Promise<Admission>;
  /** The barrier before an upstream request: throws to refuse every call in it. */
  beforeForward(calls: readonly CallRecord[], exchange: ExchangeFacts): Promise<void>;
  /**
   * Upstream -> client: one server message through the stages in order; null drops it. `call` is
   * the client call a response answers, or the server message's own record.
   */
  fromServer(message: JSONRPCMessage, call: CallRecord, exchange: ExchangeFacts, upstream: UpstreamReply, bytes: number): Promise<JSONRPCMessage | null>;
  /** Every message the client receives, exactly once (`json`: its text as written, when known). */
  delivered(message: JSONRPCMessage, call: CallRecord | undefined, exchange: ExchangeFacts, json?: string): void;
  /** A GET stream or session DELETE; a RegateError refuses it. */
  httpOperation(op: HttpOperation, exchange: ExchangeFacts): Promise<RegateError | undefined>;
  /** A session began or ended. */
  session(phase: 'start' | 'end', exchange: ExchangeFacts, sessionId: string): void;
}

/** A new call record for one message (a client's, unless `direction` says otherwise). */
export function newCallRecord(exchange: ExchangeFacts, message: JSONRPCMessage, direction: Direction = 'client_to_server'): CallRecord {
  const method = methodOf(message) ?? 'rpc/response';
  const params = (message as { params?: { name?: unknown } }).params;
  return {
    callId: randomUUID(),
    exchange,
    direction,
    message,
    forwarded: message,
    method,
    tool: method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined,
    masked: {},
    exposed: {},
    eventIds: [],
    timings: { receivedNs: process.hrtime.bigint() },
  };
}

/** The error answer for a request, or nothing for a notification or response. */
function refusalFor(call: CallRecord, err: RegateError): JSONRPCMessage | undefined {
  const id = idOf(call.message);
  return kindOf(call.message) === 'request' && id !== undefined ? (errorResponseFor(id, err) as JSONRPCMessage) : undefined;
}

/** Composes stages into the pipeline. */
export function composePipeline(stages: readonly Stage[], deps: PipelineDeps): Pipeline {
  const requestStages = stages.filter((s) => s.request !== undefined);
  const barrierStages = stages.filter((s) => s.beforeForward !== undefined);
  const serverStages = stages.filter((s) => s.fromServer !== undefined);
  const deliveredStages = stages.filter((s) => s.delivered !== undefined);
  const operationStages = stages.filter((s) => s.httpOperation !== undefined);
  const sessionStages = stages.filter((s) => s.session !== undefined);
  const count = deps.countMessage ?? (() => {});

  const failed = (call: CallRecord, stage: string, err: unknown): ReleasedVerdict => {
    const e = asRegateError(err);
    deps.log.error({ err: e, code: e.code, stage, method: call.method, request_id: call.exchange.requestId }, 'pipeline stage failed on a client message; denied');
    const reply = refusalFor(call, e);
    return reply !== undefined ? { action: 'reply', reply } : { action: 'reply' };
  };

  /** Runs the request stages from index `from`; stops at the first verdict that is not continue. */
  const run = async (call: CallRecord, from: number): Promise<{ verdict: RequestVerdict; next: number }> => {
    for (let i = from; i < requestStages.length; i++) {
      const stage = requestStages[i]!;
      let v: RequestVerdict;
      try {
        v = await stage.request!(call);
      } catch (err) {
        return { verdict: failed(call, stage.name, err), next: i + 1 };
      }
      if (v.action !== 'continue') return { verdict: v, next: i + 1 };
    }
    return { verdict: { action: 'continue' }, next: requestStages.length };
  };

  /** Waits for a hold, then runs the remaining stages (which may hold again). */
  const settleHold = async (call: CallRecord, v: Extract<RequestVerdict, { action: 'hold' }>, next: number): Promise<{ forward: true } | { forward: false; reply?: JSONRPCMessage | undefined }> => {
    let released: ReleasedVerdict;
    try {
      released = await v.release;
    } catch (err) {
      released = failed(call, 'hold', err);
    }
    if (released.action === 'reply') return { forward: false, reply: released.reply };
    const r = await run(call, next);
    if (r.verdict.action === 'continue') return { forward: true };
    if (r.verdict.action === 'reply') return { forward: false, reply: r.verdict.reply };
    return settleHold(call, r.verdict, r.next);
  };

  return {
    async admit(exchange, messages, claims) {
      const forwarded: CallRecord[] = [];
      const local: Outgoing[] = [];
      const held: HeldCall[] = [];
      const ids = new Set<string>();
      for (const m of messages) {
        const call = newCallRecord(exchange, m);
        count(exchange.connection.name, 'client', methodOf(m) ?? kindOf(m));
        const requestId = kindOf(m) === 'request' ? idOf(m) : undefined;
        let claimed: string | undefined;
        if (requestId !== undefined) {
          // Responses are tied to requests by id: a reused id would let one request's answer be
          // handled as another's (a tools/list answer checked as if it answered a ping). Checked
          // and claimed at once: the stages below may wait, and another POST may arrive meanwhile.
          const key = idKey(requestId);
          if (ids.has(key) || (claims !== undefined && !claims.claim(key, call))) {
            const err = new RegateError('REGATE_ERR_INVALID_REQUEST', `request id ${JSON.stringify(requestId)} is already in use by a request still waiting for its answer; use a new id`);
            local.push({ message: errorResponseFor(requestId, err) as JSONRPCMessage, call });
            continue;
          }
          ids.add(key);
          claimed = key;
        }
        const { verdict, next } = await run(call, 0);
        if (verdict.action === 'continue') forwarded.push(call);
        else if (verdict.action === 'reply') {
          // Answered here, never sent upstream: the id is free again.
          if (claimed !== undefined) claims?.release(claimed);
          if (verdict.reply !== undefined) local.push({ message: verdict.reply, call });
        } else held.push({ call, waitingFor: verdict.waitingFor, outcome: settleHold(call, verdict, next) });
      }
      return { forwarded, local, held };
    },

    async beforeForward(calls, exchange) {
      for (const s of barrierStages) await s.beforeForward!(calls, exchange);
      const now = process.hrtime.bigint();
      for (const c of calls) c.timings.forwardedNs = now;
    },

    async fromServer(message, call, exchange, upstream, bytes) {
      count(exchange.connection.name, 'server', methodOf(message) ?? kindOf(message));
      let m: JSONRPCMessage | null = message;
      for (const s of serverStages) {
        try {
          m = await s.fromServer!(m, call, exchange, upstream, bytes);
        } catch (err) {
          const e = asRegateError(err);
          deps.log.error({ err: e, code: e.code, stage: s.name, request_id: exchange.requestId }, 'pipeline stage failed on a server message; not delivered');
          const id = idOf(message);
          // A response becomes an error for its request; anything else is not delivered.
          return id !== undefined && kindOf(message) !== 'request' && kindOf(message) !== 'notification' ? (errorResponseFor(id, e) as JSONRPCMessage) : null;
        }
        if (m === null) return null;
      }
      return m;
    },

    delivered(message, call, exchange, json) {
      if (call !== undefined && call.timings.completedNs === undefined && idOf(message) !== undefined && kindOf(message) !== 'request') {
        call.timings.completedNs = process.hrtime.bigint();
      }
      for (const s of deliveredStages) {
        try {
          s.delivered!(message, call, exchange, json);
        } catch (err) {
          deps.log.error({ err, stage: s.name, request_id: exchange.requestId }, 'pipeline stage failed while observing a delivered message');
        }
      }
    },

    session(phase, exchange, sessionId) {
      for (const s of sessionStages) {
        try {
          s.session!(phase, exchange, sessionId);
        } catch (err) {
          deps.log.error({ err, stage: s.name, request_id: exchange.requestId }, 'pipeline stage failed on a session event');
        }
      }
    },

    async httpOperation(op, exchange) {
      for (const s of operationStages) {
        try {
          const refused = await s.httpOperation!(op, exchange);
          if (refused) return refused;
        } catch (err) {
          return asRegateError(err);
        }
      }
      return undefined;
    },
  };
}
