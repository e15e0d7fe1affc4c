/**
 * Masking what an agent sent, for the transcript: the call's own obligations (in practice its
 * detectors: result paths do not match arguments) applied to its redacted arguments; every
 * detector when nothing decided the call or its decision obliges no mask. A value that cannot be masked is recorded as a marker,
 * never in clear.
 */
import { asRegateError } from '../errors.ts';
import type { CallRecord } from '../pipeline/call-record.ts';
import { maskValue } from './mask.ts';
import type { MaskPlan, MaskPlanner } from './plan.ts';

export function argumentMasker(planner: () => MaskPlanner): (record: CallRecord, value: unknown) => unknown {
  return (record, value) => {
    const p = planner();
    let plan: MaskPlan;
    try {
      plan = record.decision === undefined ? p.all : p.plan(record.decision.mask);
    } catch {
      plan = p.all;
    }
    // A call allowed with no mask obligations still leaves no detector hit in clear in the
    // transcript: what the agent sent is scanned by every detector then.
    if (!plan.masks) plan = p.all;
    try {
      return maskValue(plan, value).message;
    } catch (err) {
      return `[WITHHELD: ${asRegateError(err).code}]`;
    }
  };
}
