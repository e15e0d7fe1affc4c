/**
 * The transcript event (DESIGN.md, binding): one row in Log Analytics (`RegateTranscripts_CL`) and
 * one line of the transcript file, modelled on OPA's decision-log event. The binding fields come
 * first; the fields after them are regate's additions, documented in docs/recording.md, chiefly what
 * `regate whatif` needs to rebuild a policy input from a recorded request.
 *
 * Events hold masked content only, arguments after the decision's `audit.redact_arguments`, and
 * never a header: no bearer token or upstream credential can reach a transcript from here.
 */
import { z } from 'zod';
import { jsonWithKnown, type KnownJson } from '../util/json-with-known.ts';

export const EVENT_KINDS = ['request', 'decision', 'response', 'approval', 'error', 'session'] as const;

const counts = z.record(z.string(), z.number().int().nonnegative());

export const transcriptEventSchema = z.strictObject({
  // --- binding fields (DESIGN.md "Transcript event")
  /** Unique (UUID v7, time-ordered); a redelivered event keeps it, so KQL dedupes on it. */
  event_id: z.uuid(),
  /** When regate built the event (RFC 3339, UTC, milliseconds). */
  time: z.iso.datetime(),
  session_id: z.string().optional(),
  connection: z.string(),
  principal_id: z.string().optional(),
  principal_name: z.string().optional(),
  principal_type: z.enum(['user', 'app']).optional(),
  tenant: z.string().optional(),
  kind: z.enum(EVENT_KINDS),
  method: z.string().optional(),
  tool: z.string().optional(),
  /** Tool (or prompt) arguments after redaction; truncated like content when too large. */
  arguments: z.unknown().optional(),
  /** allow | deny | approval (the decision's outcome). */
  decision: z.enum(['allow', 'deny', 'approval']).optional(),
  rule: z.string().optional(),
  reason: z.string().optional(),
  bundle_revision: z.string().optional(),
  decision_id: z.string().optional(),
  approval_id: z.string().optional(),
  /** Who decided a held call (names, comma-separated when several). */
  approver: z.string().optional(),
  justification: z.string().optional(),
  /** Values masked, per detector name or JSON path (counts, never values). */
  masked: counts.optional(),
  /** Detector hits left in clear, per detector. */
  exposed: counts.optional(),
  /** The message as the client saw it (masked); a marker string when truncated. */
  content: z.unknown().optional(),
  /** Size of the message in bytes (JSON), before any truncation here. */
  bytes: z.number().int().nonnegative().optional(),
  /** request/decision: time to decide; response/error: time from receipt to answer. */
  latency_ms: z.number().nonnegative().optional(),
  protocol_era: z.enum(['2025', '2026']).optional(),

  // --- regate's additions
  /** Ties the events of one call together (CallRecord.callId). */
  call_id: z.string().optional(),
  /** regate's request id (X-Request-Id, log lines). */
  request_id: z.string().optional(),
  /** JSON-RPC id of the message (absent for notifications). */
  message_id: z.union([z.string(), z.number()]).optional(),
  direction: z.enum(['client_to_server', 'server_to_client']).optional(),
  protocol_version: z.string().optional(),
  /** Request params after redaction (arguments inside them redacted the same way): whatif input. */
  params: z.unknown().optional(),
  principal_groups: z.array(z.string()).optional(),
  principal_roles: z.array(z.string()).optional(),
  principal_scopes: z.array(z.string()).optional(),
  principal_client_id: z.string().optional(),
  principal_issuer: z.string().optional(),
  connection_tags: z.array(z.string()).optional(),
  http_method: z.string().optional(),
  http_path: z.string().optional(),
  remote_addr: z.string().optional(),
  /** False when the policy ran in shadow mode (decided and recorded, not applied). */
  enforced: z.boolean().optional(),
  /** The decision's `audit.labels`. */
  labels: z.record(z.string(), z.unknown()).optional(),
  /** Every approver of an approval event, with when they decided. */
  approvers: z.array(z.strictObject({ id: z.string(), name: z.string(), at: z.string(), comment: z.string().optional() })).optional(),
  approval_status: z.string().optional(),
  /** regate error code of an error event (REGATE_ERR_*), or the fail-closed code of a decision. */
  error_code: z.string().optional(),
  /** session events: start | end. */
  session_phase: z.enum(['start', 'end']).optional(),
  /**
   * Which fields were truncated (content, arguments, params, with the SHA-256 of their full JSON;
   * labels; or, for an event the sink refused as too large on its own, any field cut to size).
   */
  truncated: z.array(z.string()).optional(),
  content_sha256: z.string().optional(),
  arguments_sha256: z.string().optional(),
  params_sha256: z.string().optional(),
  /** decision events: the decision's mask obligations as `path:style` / `detector:style` (whatif compares them). */
  masks: z.array(z.string()).optional(),
});

export type TranscriptEvent = z.infer<typeof transcriptEventSchema>;

/** The binding field names of DESIGN.md, in its order (the Bicep table must carry each). */
export const BINDING_FIELDS = [
  'event_id', 'time', 'session_id', 'connection', 'principal_id', 'principal_name', 'principal_type', 'tenant',
  'kind', 'method', 'tool', 'arguments', 'decision', 'rule', 'reason', 'bundle_revision', 'decision_id',
  'approval_id', 'approver', 'justification', 'masked', 'exposed', 'content', 'bytes', 'latency_ms', 'protocol_era',
] as const satisfies readonly (keyof TranscriptEvent)[];

/** Every field an event may carry (binding first, then regate's additions). */
export const EVENT_FIELDS = Object.keys(transcriptEventSchema.shape) as (keyof TranscriptEvent)[];

const jsonOfEvent = new WeakMap<TranscriptEvent, string>();

/**
 * The event's JSON, computed once per event object: the spill file, the batcher's size check and
 * the file sink all write the same text (events are not changed once built). `known` is the JSON
 * of some of its values (arguments, params, content), already computed while the event was built
 * (they are serialized to be bounded): the builders call this once with it, so those values are not
 * serialized again.
 */
export function eventJson(e: TranscriptEvent, known?: Readonly<Record<string, KnownJson | undefined>>): string {
  let json = jsonOfEvent.get(e);
  if (json === undefined) {
    json = known === undefined ? JSON.stringify(e) : jsonWithKnown(e, known);
    jsonOfEvent.set(e, json);
  }
  return json;
}
