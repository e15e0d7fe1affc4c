/**
 * The decision a call was first given, when a later stage decided it again: an approved call is
 * re-checked with `input.approval`, and that re-decision (its mask obligations) is what the call
 * goes on with, while the transcript and the access review must show the decision that held it
 * (outcome `approval`, its rule and reason). Kept beside the call record, not on it, so the
 * pipeline's record type stays as it is; nothing outlives the call (weak keys).
 */
import type { PolicyDecision } from './decision.ts';

const first = new WeakMap<object, PolicyDecision>();

/** Remembers `d` as the call's first decision, unless one is remembered already (a continuation's second re-check). */
export function keepFirstDecision(call: object, d: PolicyDecision): void {
  if (!first.has(call)) first.set(call, d);
}

/** The decision the call was first given: the one kept before a re-decision, else `current`. */
export function firstDecisionOf(call: object, current: PolicyDecision | undefined): PolicyDecision | undefined {
  return first.get(call) ?? current;
}
