/**
 * The one typed record of an MCP call as it crosses regate. Every pipeline stage reads it and adds
 * to it: authenticate sets the principal, decide the decision (with its mask and approval
 * obligations), approve the approval, mask the counts, record the transcript ids; timings are
 * stamped as the call moves. Nothing here is `unknown` cast back later: this is the contract
 * between stages (and between regate and its transcript).
 */
import type { ConnectionConfig } from '../config/schema.ts';
import type { Principal } from '../identity/principal.ts';
import type { ClientFacts } from '../mcp/era.ts';
import type { JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { PolicyDecision } from '../policy/decision.ts';

/** Which revision family of MCP the call speaks: 2025 sessions, or the stateless 2026-07-28 era. */
export type ProtocolEra = '2025' | '2026';

/** Which way a message travels. */
export type Direction = 'client_to_server' | 'server_to_client';

/** Counts per detector name or JSON path; never values. */
export type MaskCounts = Record<string, number>;

/** What a human decided about a held call, as the transcript and the re-decision see it. */
export interface ApprovalFacts {
  readonly id: string;
  readonly status: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'used';
  readonly approvers: readonly { readonly id: string; readonly name: string; readonly at: string; readonly comment?: string }[];
  readonly justification?: string;
}

/** Monotonic timestamps (process.hrtime.bigint, nanoseconds) of the call's milestones. */
export interface CallTimings {
  readonly receivedNs: bigint;
  decidedNs?: bigint;
  forwardedNs?: bigint;
  /** First byte of the upstream's answer. */
  answeredNs?: bigint;
  completedNs?: bigint;
}

/** The HTTP exchange a call arrived on (one HTTP request may carry a batch of calls). */
export interface ExchangeFacts {
  /** regate's request id (also `X-Request-Id` upstream and in every log line). */
  readonly requestId: string;
  /** The client's own `X-Request-Id`, kept apart from regate's (logged as client_request_id). */
  readonly clientRequestId?: string | undefined;
  readonly connection: ConnectionConfig;
  /** `Mcp-Session-Id` (2025 Streamable HTTP) or regate's legacy-SSE session id; absent otherwise. */
  readonly sessionId: string | undefined;
  /** The keyed hash of `sessionId` that logs and metrics show instead of the id (src/proxy/session-binding.ts). */
  readonly sessionRef?: string | undefined;
  /**
   * The era, version and client facts are set from the headers when the exchange starts, and
   * once more by the parse step from the body (era.ts `classifyInbound`): the body decides.
   */
  era: ProtocolEra;
  /** Negotiated or declared protocol version (`MCP-Protocol-Version`, `_meta`), when known. */
  protocolVersion: string | undefined;
  /** What the request says about its client (2026 `_meta` envelope, 2025 `initialize`). */
  client?: ClientFacts | undefined;
  /**
   * The client can answer a form elicitation: its 2025 session declared it at `initialize` (kept
   * with the session's binding), or its 2026 request declares it in its envelope.
   */
  answersForms?: boolean | undefined;
  readonly principal: Principal | undefined;
  readonly http: {
    readonly method: string;
    readonly path: string;
    readonly remoteAddress: string;
    readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  };
  /** Aborted when the client hangs up or regate drains: a held call stops waiting. */
  readonly signal: AbortSignal;
}

/** One client request (or notification) and everything the pipeline learned about it. */
export interface CallRecord {
  /** Unique per call; ties transcript events of one call together. */
  readonly callId: string;
  readonly exchange: ExchangeFacts;
  /**
   * `client_to_server` for a client's message; `server_to_client` for a message the upstream sent
   * of its own accord (a request, a notification, an answer regate cannot tie to a request), which
   * gets a record of its own so that policy, masking and recording treat it like any call.
   */
  readonly direction: Direction;
  /** The message as its sender sent it (parsed, validated). */
  readonly message: JSONRPCMessage;
  /** The message regate forwards (a stage may rewrite it, e.g. to redact); defaults to `message`. */
  forwarded?: JSONRPCMessage;
  readonly method: string;
  /** `params.name` of a tools/call. */
  readonly tool: string | undefined;
  /** The policy's decision for this call (the one that let it through or refused it). */
  decision?: PolicyDecision;
  /** False in shadow mode: decided and recorded, not applied. */
  enforced?: boolean;
  approval?: ApprovalFacts;
  /** What masking changed in the answers of this call, and what it saw left in clear. */
  readonly masked: MaskCounts;
  readonly exposed: MaskCounts;
  /** Transcript events written for this call, in order. */
  readonly eventIds: string[];
  readonly timings: CallTimings;
}
