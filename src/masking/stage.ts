/**
 * The mask stage: every message the upstream sends to a client passes here after policy decided
 * it, and leaves with what the decision says must not be seen masked, message by message (each SSE
 * event as it arrives; nothing waits for a later event).
 *
 * Which obligations apply: a response carries the masks of the decision that let its request
 * through; a message the upstream sent of its own accord (a request, a notification, an answer
 * regate cannot correlate) carries the masks of the decision the policy made for it
 * (server_to_client). A message nothing decided is masked with every detector (fail closed). In
 * shadow mode masks are not applied, only counted as exposures.
 *
 * Fail closed: a message that is too large to mask, or that masking cannot handle, never passes
 * in clear: a response becomes an error the agent can act on (an `isError` result for a tool
 * call), anything else is dropped.
 */
import type { Logger } from 'pino';
import { asRegateError, type RegateError } from '../errors.ts';
import { markPrivate } from '../mcp/input-required.ts';
import { errorResponseFor, idOf, kindOf, type JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { CallRecord, MaskCounts } from '../pipeline/call-record.ts';
import type { Stage } from '../pipeline/stage.ts';
import { assertMaskable, maskMessage } from './mask.ts';
import type { MaskPlan, MaskPlanner } from './plan.ts';
import { toolErrorResult } from '../mcp/tool-error-result.ts';
import { isRecord } from '../util/is-record.ts';

export interface MaskingStageOptions {
  /** The planner of the active bundle (rebuilt when a bundle with other custom detectors arrives). */
  readonly planner: () => MaskPlanner;
  readonly log: Logger;
  /** Counts of one message: what was masked and what was left in clear, per detector or path. */
  readonly onCounts?: (connection: string, masked: MaskCounts, exposed: MaskCounts) => void;
}

function add(into: MaskCounts, from: MaskCounts): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** The plan for one message of `call`. */
function planFor(planner: MaskPlanner, call: CallRecord, log: Logger): MaskPlan {
  const decision = call.decision;
  if (decision === undefined) return planner.all;
  // Shadow mode: decided, not applied; what would have been masked is still counted.
  if (call.enforced === false) return planner.plan(undefined);
  try {
    return planner.plan(decision.mask);
  } catch (err) {
    // An obligation regate cannot apply (an unknown detector, a path it cannot parse): mask all.
    log.warn({ err: asRegateError(err), rule: decision.rule }, 'mask obligation cannot be applied; masking with every detector');
    return planner.all;
  }
}

/** What the client gets instead of a message that could not be masked. */
function withheld(message: JSONRPCMessage, call: CallRecord, err: RegateError): JSONRPCMessage | null {
  const kind = kindOf(message);
  const id = idOf(message);
  if ((kind !== 'response' && kind !== 'error') || id === undefined) return null;
  const text = `regate withheld this answer: ${err.message}. Ask for less at a time (a smaller page, fewer records), or ask a regate administrator. [${err.code}]`;
  if (call.method === 'tools/call') return toolErrorResult(id, text, call.exchange.era, 'regate/masking', { code: err.code });
  return errorResponseFor(id, err) as JSONRPCMessage;
}

export function createMaskingStage(o: MaskingStageOptions): Stage {
  return {
    name: 'masking',

    async fromServer(message, call, x, _upstream, bytes) {
      const plan = planFor(o.planner(), call, o.log);
      if (!plan.masks && !plan.observe) return message;
      let out: JSONRPCMessage;
      try {
        assertMaskable(plan, bytes);
        const r = maskMessage(plan, message);
        add(call.masked, r.masked);
        add(call.exposed, r.exposed);
        if (o.onCounts && (Object.keys(r.masked).length > 0 || Object.keys(r.exposed).length > 0)) o.onCounts(x.connection.name, r.masked, r.exposed);
        out = r.message as JSONRPCMessage;
        if (!r.changed) return message;
      } catch (err) {
        const e = asRegateError(err);
        o.log.warn({ code: e.code, detail: e.detail, method: call.method, request_id: x.requestId }, 'message could not be masked; withheld');
        return withheld(message, call, e);
      }
      // A result regate masked is for this caller only: never cacheable for others (2026 era).
      const result = (out as { result?: unknown }).result;
      if (isRecord(result) && call.direction === 'client_to_server') {
        out = { ...out, result: markPrivate(call.method, result, x.era) } as JSONRPCMessage;
      }
      return out;
    },
  };
}
