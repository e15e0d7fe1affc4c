/**
 * The stage contract. A stage is one concern (policy, approvals, masking, recording) that sees
 * every MCP message crossing regate at the points it cares about; the pipeline (compose.ts) runs
 * the stages in one fixed order and is the only thing the proxy talks to.
 *
 * Client -> upstream, per message: `request` in stage order. A stage lets the call go on, answers
 * it itself (a refusal), or holds it (an approval): the pipeline keeps the client's response open
 * and the rest of the batch moving, and resumes with the next stage when the hold is released.
 * Then `beforeForward` once per upstream request with every call about to go out (the recording
 * barrier: nothing goes upstream that was not durably recorded).
 *
 * Upstream -> client, per message: `fromServer` in the same stage order (not reversed as Envoy's
 * encoders are: policy must decide a server message before masking rewrites it), then `delivered`
 * for every message the client receives, regate's own answers included, exactly once: recording
 * sees exactly what the client sees.
 *
 * A stage that throws fails that message closed: a request is answered with an error and not
 * forwarded, a server message is not delivered (a response becomes an error for its request).
 */
import type { RegateError } from '../errors.ts';
import type { JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { HttpOperation } from '../policy/input.ts';
import type { CallRecord, ExchangeFacts } from './call-record.ts';

/** HTTP operations that carry no JSON-RPC message but still pass through policy. */
export type { HttpOperation };

/** What a stage says about a client message. */
export type RequestVerdict =
  /** Go on to the next stage (and finally upstream). */
  | { readonly action: 'continue' }
  /** Do not send upstream; answer with `reply` (omitted for notifications and responses). */
  | { readonly action: 'reply'; readonly reply?: JSONRPCMessage }
  /**
   * Keep the call waiting without blocking anything else. `release` settles with the verdict to
   * apply then (never another hold); it must settle, or reject, when `call.exchange.signal` aborts.
   * `waitingFor` is told to the client in progress notifications (who must act, and where).
   */
  | { readonly action: 'hold'; readonly waitingFor: string; readonly release: Promise<ReleasedVerdict> };

export type ReleasedVerdict = Exclude<RequestVerdict, { action: 'hold' }>;

/** Lets a stage answer a server -> client request itself, on the upstream side. */
export interface UpstreamReply {
  /** Sends a JSON-RPC response (usually an error) to the upstream for one of its requests. */
  answer(message: JSONRPCMessage): Promise<void>;
}

export interface Stage {
  readonly name: string;
  /** Client -> upstream, once per message, in stage order. */
  request?(call: CallRecord): RequestVerdict | Promise<RequestVerdict>;
  /**
   * Once per upstream request, with the calls about to be forwarded in it (never empty). Throwing
   * refuses all of them: the barrier recording needs.
   */
  beforeForward?(calls: readonly CallRecord[], exchange: ExchangeFacts): Promise<void>;
  /**
   * Upstream -> client, once per message, in stage order. `call` is the client call a response
   * answers, or, for what the upstream sends of its own accord (requests, notifications, answers
   * regate cannot correlate), the message's own record with `direction: 'server_to_client'`.
   * Returns the message to deliver, or null to drop it. `upstream` lets a stage answer a refused
   * server request; `bytes` is the size of the text the message arrived in (its JSON body or SSE
   * event: for one message of a batch, an upper bound).
   */
  fromServer?(message: JSONRPCMessage, call: CallRecord, exchange: ExchangeFacts, upstream: UpstreamReply, bytes: number): Promise<JSONRPCMessage | null>;
  /**
   * Every message the client receives, regate's own included, exactly once; must not throw. `json`
   * is the message's JSON exactly as written to the client, when the responder has it (it is not
   * serialized twice).
   */
  delivered?(message: JSONRPCMessage, call: CallRecord | undefined, exchange: ExchangeFacts, json?: string): void;
  /** A Streamable HTTP session began (bound to its principal) or ended (DELETE accepted); must not throw. */
  session?(phase: 'start' | 'end', exchange: ExchangeFacts, sessionId: string): void;
  /** Decides a GET stream or a session DELETE; a RegateError refuses it. */
  httpOperation?(op: HttpOperation, exchange: ExchangeFacts): Promise<RegateError | undefined>;
}
