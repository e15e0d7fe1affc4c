/**
 * One structured record per policy evaluation, modelled on OPA's decision log event: what was
 * decided, by which rule of which bundle revision, how long it took, and for whom. Arguments and
 * other message content are left out on purpose: transcripts carry them, after redaction.
 */
import type { PolicyDecision } from './decision.ts';
import type { PolicyInput } from './input.ts';
import { capText } from '../text/cap.ts';

export interface DecisionLogRecord {
  readonly decision_id: string;
  readonly revision: string;
  readonly outcome: PolicyDecision['outcome'];
  readonly rule: string;
  readonly reason: string;
  readonly duration_us: number;
  readonly connection: string;
  readonly method: string;
  readonly tool?: string;
  readonly principal_id?: string;
  readonly session_id?: string;
  /** Present for fail-closed denies: the REGATE_ERR_POLICY_* code. */
  readonly error_code?: string;
  /** True when shadow mode let a non-allow decision through. */
  readonly shadowed?: boolean;
}

/** Builds the decision log record for one evaluation. */
export function decisionLogRecord(decision: PolicyDecision, input: PolicyInput, options: { shadowed?: boolean } = {}): DecisionLogRecord {
  const tool = input.mcp.tool?.name;
  // Assigned field by field in the line's order (no object spreads: this runs on every call).
  const r: { -readonly [K in keyof DecisionLogRecord]: DecisionLogRecord[K] } = {
    decision_id: decision.decision_id,
    revision: decision.revision,
    outcome: decision.outcome,
    rule: decision.rule,
    // The policy's reason may quote the request (a made-up tool name): capped like the rest.
    reason: capText(decision.reason, 2048),
    duration_us: Math.round(decision.duration_us * 10) / 10,
    connection: input.connection.name,
    // Both come from the network: capped so one record stays one reasonable log line.
    method: capText(input.mcp.method),
  };
  if (typeof tool === 'string') r.tool = capText(tool);
  if (input.principal) r.principal_id = input.principal.id;
  if (input.session.id !== undefined) r.session_id = input.session.id;
  if (decision.error) r.error_code = decision.error.code;
  if (options.shadowed) r.shadowed = true;
  return r;
}
