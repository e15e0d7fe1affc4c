/**
 * Transcript events built from the call record (src/pipeline/call-record.ts). Pure apart from the
 * clock and the random event id: the pipeline calls these at its record stages and appends the
 * result to the buffer. Only named fields are copied from the record; headers never are, so neither
 * a client's bearer token nor a connection's credential can reach a transcript.
 */
import { randomFillSync } from 'node:crypto';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import { idOf } from '../mcp/jsonrpc.ts';
import { messageJson } from '../mcp/message-json.ts';
import { eventJson, type TranscriptEvent } from './event.ts';
import { redactPaths } from '../policy/redact-arguments.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { firstDecisionOf } from '../policy/first-decision.ts';
import { boundValue } from './truncate.ts';
import { capText } from '../text/cap.ts';
import { isRecord } from '../util/is-record.ts';
import { jsonWithKnown, type KnownJson } from '../util/json-with-known.ts';
import { messageWithRequestStateDigest, withRequestStateDigest } from '../mcp/input-required.ts';

/**
 * Random bytes for event ids, drawn from the CSPRNG 4 KB at a time: one randomBytes call per event
 * (three events per call) was 3% of regate's busy CPU under the proxy benchmark.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A UUID v7: 48-bit Unix milliseconds, then random bits, so ids sort by creation time. */
export function uuidv7(nowMs = Date.now()): string {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = Buffer.allocUnsafe(16);
  pool.copy(b, 6, poolAt, poolAt + 10);
  poolAt += 10;
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface EventBuilderOptions {
  /** `audit.max_content_bytes`. */
  readonly maxContentBytes: number;
  /** Clock (tests); defaults to the system clock. */
  readonly now?: () => number;
  /**
   * Applies the call's mask obligations (its detectors) to what the agent sent, after
   * redact_arguments: an agent that passes a card number or a secret in its arguments must not
   * put it into the transcript in clear either. Absent: arguments are recorded as redacted only.
   */
  readonly maskArguments?: (record: CallRecord, value: unknown) => unknown;
}

/** A regate error as recorded (code and the message the client received). */
export interface ErrorFacts {
  readonly code: string;
  readonly message: string;
}

/** The message as the client received it, for response and error events. */
export interface ReplyFacts {
  /** Masked JSON-RPC message (or the JSON the client received). */
  readonly content: unknown;
  /** Its size in bytes on the wire. */
  readonly bytes: number;
}

export interface EventBuilders {
  /** The request event and, once decided, the decision event of a client message. */
  requestEvents(record: CallRecord): TranscriptEvent[];
  /**
   * A (masked) message sent to the client for this call: a response, or a server request/notification;
   * `json` is the content's JSON when the caller already serialized it.
   */
  responseEvent(record: CallRecord, content: unknown, bytes: number, json?: string): TranscriptEvent;
  /** One of regate's own error replies; `source` is the call, or only the exchange when no call was parsed. */
  errorEvent(source: CallRecord | ExchangeFacts, error: ErrorFacts, reply?: ReplyFacts): TranscriptEvent;
  /** A held call's approval as it stands (`record.approval` unless given). */
  approvalEvent(record: CallRecord, approval?: CallRecord['approval']): TranscriptEvent;
  /** Start or end of a session on an exchange. */
  sessionEvent(exchange: ExchangeFacts, phase: 'start' | 'end', sessionId?: string): TranscriptEvent;
}

const METHODS_WITH_ARGUMENTS = new Set(['tools/call', 'prompts/get']);

/** Longest method, tool or rule name kept in an event; a policy reason; the labels' JSON. */
const NAME_LIMIT = 256;
const REASON_LIMIT = 2048;
const LABELS_LIMIT = 8192;

function durationMs(fromNs: bigint, toNs: bigint): number {
  return Math.max(0, Math.round(Number(toNs - fromNs) / 1000) / 1000);
}

/** A decision's mask obligations as short strings (`$.a.b:last4`, `email:redact`), for the record and whatif. */
export function maskSpecs(mask: readonly ({ path: string; style: string } | { detector: string; style: string })[]): string[] {
  return mask.map((m) => `${'path' in m ? m.path : m.detector}:${m.style}`);
}

/** The argument paths to redact: the first decision's and, when the call was decided again, the re-decision's too. */
function redactionsOf(first: PolicyDecision | undefined, current: PolicyDecision | undefined): readonly string[] | undefined {
  const a = first?.audit?.redact_arguments;
  const b = current?.audit?.redact_arguments;
  if (first === current || b === undefined || b.length === 0) return a;
  if (a === undefined || a.length === 0) return b;
  return [...new Set([...a, ...b])];
}

function isCallRecord(v: CallRecord | ExchangeFacts): v is CallRecord {
  return 'callId' in v;
}

/** Returns the five builders bound to the audit configuration. */
export function createEventBuilders(options: EventBuilderOptions): EventBuilders {
  const maskArgs = options.maskArguments ?? ((_record: CallRecord, value: unknown) => value);
  const now = options.now ?? Date.now;
  const max = options.maxContentBytes;

  // A call's events are built within the same millisecond or so: its time text is formatted once.
  let lastMs = Number.NaN;
  let lastTime = '';
  const timeText = (t: number): string => {
    if (t !== lastMs) {
      lastMs = t;
      lastTime = new Date(t).toISOString();
    }
    return lastTime;
  };

  /** Fields every event of an exchange carries. */
  function base(exchange: ExchangeFacts, kind: TranscriptEvent['kind']): TranscriptEvent {
    const t = now();
    const p = exchange.principal;
    const e: TranscriptEvent = {
      event_id: uuidv7(t),
      time: timeText(t),
      connection: exchange.connection.name,
      kind,
      protocol_era: exchange.era,
      request_id: exchange.requestId,
      http_method: exchange.http.method,
      http_path: exchange.http.path,
      remote_addr: exchange.http.remoteAddress,
      connection_tags: [...exchange.connection.tags],
    };
    if (exchange.sessionId !== undefined) e.session_id = exchange.sessionId;
    if (exchange.protocolVersion !== undefined) e.protocol_version = exchange.protocolVersion;
    // Named stores only, never Object.assign or e[key]: V8 turns an object with this many fields
    // into a slow dictionary on a keyed store, and JSON.stringify of a dictionary costs ~50% more.
    if (p !== undefined) {
      e.principal_id = p.id;
      e.principal_name = p.name;
      e.principal_type = p.type;
      e.tenant = p.tenant;
      e.principal_groups = [...p.groups];
      e.principal_roles = [...p.roles];
      e.principal_scopes = [...p.scopes];
      e.principal_client_id = p.client_id;
      e.principal_issuer = p.issuer;
    }
    return e;
  }

  /** Fields every event of one call carries. */
  function ofCall(record: CallRecord, kind: TranscriptEvent['kind']): TranscriptEvent {
    const e = base(record.exchange, kind);
    e.call_id = record.callId;
    // Method and tool names come from the client: a made-up 1 MB name must not make a 1 MB event.
    e.method = capText(record.method, NAME_LIMIT);
    if (record.tool !== undefined) e.tool = capText(record.tool, NAME_LIMIT);
    const id = idOf(record.message);
    if (id !== undefined) e.message_id = id;
    if (record.decision !== undefined) e.decision_id = record.decision.decision_id;
    record.eventIds.push(e.event_id);
    return e;
  }

  /**
   * Puts `value` into `field`, truncated past max_content_bytes with its digest noted. Returns the
   * value kept whole with its JSON (for the event's own JSON), else undefined.
   */
  function bounded(e: TranscriptEvent, field: 'content' | 'arguments' | 'params', value: unknown, json?: string): KnownJson | undefined {
    const b = boundValue(value, max, json);
    // Named stores (see base).
    if (field === 'content') e.content = b.value;
    else if (field === 'arguments') e.arguments = b.value;
    else e.params = b.value;
    if (b.sha256 !== undefined) {
      e.truncated = [...(e.truncated ?? []), field];
      if (field === 'content') e.content_sha256 = b.sha256;
      else if (field === 'arguments') e.arguments_sha256 = b.sha256;
      else e.params_sha256 = b.sha256;
    }
    return b.json === undefined ? undefined : { value: b.value, json: b.json };
  }

  function requestEvents(record: CallRecord): TranscriptEvent[] {
    const request = ofCall(record, 'request');
    request.direction = 'client_to_server';
    const message = record.message as { params?: unknown };
    const first = firstDecisionOf(record, record.decision);
    if (first !== undefined) request.decision_id = first.decision_id;
    // An approved call re-decided with its approval: both decisions' redactions apply.
    const paths = redactionsOf(first, record.decision);
    const params = message.params;
    let redactedParams: unknown = params;
    // The recorded arguments are serialized once: the params' JSON and the event's take that text.
    let argsJson: KnownJson | undefined;
    let paramsJson: KnownJson | undefined;
    if (METHODS_WITH_ARGUMENTS.has(record.method) && isRecord(params) && params['arguments'] !== undefined) {
      const args = maskArgs(record, redactPaths(params['arguments'], paths));
      argsJson = bounded(request, 'arguments', args);
      // The rest of the params is the agent's text too (`_meta`, a 2026 retry's inputResponses):
      // masked as well, the masked arguments put back in their place.
      const rest = maskArgs(record, Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'arguments')));
      redactedParams = isRecord(rest) ? Object.fromEntries(Object.keys(params).map((k) => [k, k === 'arguments' ? args : rest[k]])) : rest;
    } else if (params !== undefined) {
      redactedParams = maskArgs(record, redactPaths(params, paths));
    }
    // A 2026 retry's requestState is the server's opaque memory: recorded as a digest only.
    if (redactedParams !== undefined) {
      const recorded = isRecord(redactedParams) ? withRequestStateDigest(redactedParams) : redactedParams;
      const json = argsJson !== undefined && isRecord(recorded) ? jsonWithKnown(recorded, { arguments: argsJson }) : undefined;
      paramsJson = bounded(request, 'params', recorded, json);
    }
    // The text forwarding sends too (one serialization per message).
    request.bytes = Buffer.byteLength(messageJson(record.message));
    eventJson(request, { arguments: argsJson, params: paramsJson });
    // The decision that decided the call as the agent sent it: for an approved call, the one that
    // held it (outcome approval, its rule), not the re-check that let it go on; the approval event
    // says who approved it and why.
    const d = first;
    if (d === undefined) return [request];

    const decision = ofCall(record, 'decision');
    decision.direction = 'client_to_server';
    decision.decision_id = d.decision_id;
    if (d.outcome === 'approval' && record.approval !== undefined) decision.approval_id = record.approval.id;
    decision.decision = d.outcome;
    decision.rule = capText(d.rule, NAME_LIMIT);
    // The policy's reason may quote the request (a tool name, an argument): bounded like content.
    decision.reason = capText(d.reason, REASON_LIMIT);
    decision.bundle_revision = d.revision;
    decision.latency_ms = d.duration_us / 1000;
    if (record.enforced !== undefined) decision.enforced = record.enforced;
    if (d.audit?.labels !== undefined) {
      const labels = boundValue(d.audit.labels, LABELS_LIMIT);
      decision.labels = labels.value as typeof decision.labels;
      if (labels.sha256 !== undefined) decision.truncated = [...(decision.truncated ?? []), 'labels'];
    }
    if (d.error !== undefined) decision.error_code = d.error.code;
    if (d.mask !== undefined && d.mask.length > 0) decision.masks = maskSpecs(d.mask);
    return [request, decision];
  }

  function responseEvent(record: CallRecord, content: unknown, bytes: number, json?: string): TranscriptEvent {
    const e = ofCall(record, 'response');
    e.direction = 'server_to_client';
    const recorded = messageWithRequestStateDigest(content);
    const contentJson = bounded(e, 'content', recorded, recorded === content ? json : undefined);
    e.bytes = bytes;
    e.masked = { ...record.masked };
    e.exposed = { ...record.exposed };
    const t = record.timings;
    e.latency_ms = durationMs(t.receivedNs, t.completedNs ?? process.hrtime.bigint());
    eventJson(e, { content: contentJson });
    return e;
  }

  function errorEvent(source: CallRecord | ExchangeFacts, error: ErrorFacts, reply?: ReplyFacts): TranscriptEvent {
    const e = isCallRecord(source) ? ofCall(source, 'error') : base(source, 'error');
    e.direction = 'server_to_client';
    e.error_code = error.code;
    e.reason = error.message;
    if (reply !== undefined) {
      bounded(e, 'content', reply.content);
      e.bytes = reply.bytes;
    }
    if (isCallRecord(source)) e.latency_ms = durationMs(source.timings.receivedNs, process.hrtime.bigint());
    return e;
  }

  function approvalEvent(record: CallRecord, approval = record.approval): TranscriptEvent {
    const e = ofCall(record, 'approval');
    if (approval === undefined) return e;
    e.approval_id = approval.id;
    e.approval_status = approval.status;
    if (approval.approvers.length > 0) {
      e.approver = approval.approvers.map((a) => a.name).join(', ');
      e.approvers = approval.approvers.map((a) => ({ id: a.id, name: a.name, at: a.at, ...(a.comment !== undefined ? { comment: a.comment } : {}) }));
    }
    if (approval.justification !== undefined) e.justification = approval.justification;
    return e;
  }

  function sessionEvent(exchange: ExchangeFacts, phase: 'start' | 'end', sessionId = exchange.sessionId): TranscriptEvent {
    const e = base(exchange, 'session');
    e.session_phase = phase;
    if (sessionId !== undefined) e.session_id = sessionId;
    return e;
  }

  return { requestEvents, responseEvent, errorEvent, approvalEvent, sessionEvent };
}
