/**
 * The record stage: the last stage on both sides of the pipeline.
 *
 * - Before anything goes upstream (`beforeForward`), the request and decision events of every call
 *   in the upstream request are appended to the buffer in ONE write, and the call waits for it: a
 *   call whose events cannot be buffered is refused (`audit.on_buffer_failure: deny`, the default)
 *   or forwarded unrecorded and counted (`allow`).
 * - A call that waited for an approval gets an `approval` event (status, approvers with their
 *   comments, the requester's justification) when its answer is delivered.
 * - Every message the client receives (`delivered`: the upstream's, after masking, and regate's own
 *   refusals and errors) becomes a response or error event with the content exactly as the client
 *   got it. Calls that never went upstream (refused by policy, refused ids) get their request and
 *   decision events here. These appends do not hold the answer: the events of one turn of the
 *   event loop are appended together, and a failure is logged and counted.
 */
import type { Logger } from 'pino';
import { isRegateErrorResponse, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { CallRecord, ExchangeFacts } from '../pipeline/call-record.ts';
import { newCallRecord } from '../pipeline/compose.ts';
import type { Stage } from '../pipeline/stage.ts';
import type { Audit } from './create.ts';
import type { TranscriptEvent } from './event.ts';

/**
 * The error code regate puts in `error.data.code` of its own answers. Only asked of messages that
 * did not come from the upstream (see `fromUpstream`): an upstream can write that code too.
 */
function regateErrorOf(m: JSONRPCMessage): { code: string; message: string } | undefined {
  const error = (m as { error?: { message?: unknown; data?: { code?: unknown } } }).error;
  const code = error?.data?.code;
  return typeof code === 'string' && code.startsWith('REGATE_ERR_') ? { code, message: String(error?.message ?? '') } : undefined;
}

export function createRecordingStage(audit: Pick<Audit, 'record' | 'events'>, log: Logger): Stage {
  const requestRecorded = new WeakSet<CallRecord>();
  /** The approval status last recorded for a call, so each transition is one approval event. */
  const approvalRecorded = new WeakMap<CallRecord, string>();
  /**
   * The messages the upstream sent, as the stages before passed them on (recording is the last
   * stage upstream -> client): whatever `error.data.code` they carry, they are the upstream's
   * answers, recorded as responses, unless a stage answered with regate's own error instead
   * (masking withheld it, policy refused its input requests).
   */
  const fromUpstream = new WeakSet<JSONRPCMessage>();
  let queue: TranscriptEvent[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    audit.record(batch).catch((err: unknown) => log.error({ err, events: batch.length }, 'transcript events of delivered messages could not be buffered'));
  };
  const enqueue = (events: readonly TranscriptEvent[]) => {
    for (const e of events) queue.push(e);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  const requestEvents = (call: CallRecord): TranscriptEvent[] => {
    requestRecorded.add(call);
    return audit.events.requestEvents(call);
  };

  return {
    name: 'recording',

    async beforeForward(calls) {
      const events: TranscriptEvent[] = [];
      for (const c of calls) if (!requestRecorded.has(c)) events.push(...requestEvents(c));
      if (events.length > 0) await audit.record(events);
    },

    fromServer(message) {
      fromUpstream.add(message);
      return Promise.resolve(message);
    },

    session(phase, exchange, sessionId) {
      enqueue([audit.events.sessionEvent(exchange, phase, sessionId)]);
    },

    delivered(message: JSONRPCMessage, call: CallRecord | undefined, exchange: ExchangeFacts, json?: string) {
      const events: TranscriptEvent[] = [];
      if (call !== undefined && call.direction === 'client_to_server' && !requestRecorded.has(call)) events.push(...requestEvents(call));
      // A held call's approval (who decided, why, the justification) is recorded with its answer.
      if (call?.approval !== undefined && approvalRecorded.get(call) !== call.approval.status) {
        approvalRecorded.set(call, call.approval.status);
        events.push(audit.events.approvalEvent(call));
      }
      // The responder's own serialization when it has one: the content is exactly the bytes sent.
      const text = json ?? JSON.stringify(message);
      const bytes = Buffer.byteLength(text);
      // A message that came from the upstream is regate's own error only when a stage put one in its place.
      const own = fromUpstream.has(message) && !isRegateErrorResponse(message) ? undefined : regateErrorOf(message);
      if (own !== undefined) {
        events.push(audit.events.errorEvent(call ?? exchange, own, { content: message, bytes }));
      } else {
        // Server requests and notifications come with their own (server_to_client) record.
        events.push(audit.events.responseEvent(call ?? newCallRecord(exchange, message, 'server_to_client'), message, bytes, text));
      }
      enqueue(events);
    },
  };
}
