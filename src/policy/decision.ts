/**
 * The decision contract of DESIGN.md (`{allow, reason, rule, approval?, mask?, audit?}`): the zod
 * schema the policy's result must satisfy, and the fail-closed deny regate substitutes whenever
 * it does not (undefined, malformed, or evaluation failed).
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.ts';

export const MASK_STYLES = ['redact', 'last4', 'hash'] as const;

const maskStyle = z.enum(MASK_STYLES);

export const maskObligationSchema = z.union([
  z.object({ path: z.string().startsWith('$'), style: maskStyle }),
  z.object({ detector: z.string().min(1), style: maskStyle }),
]);

export const approvalObligationSchema = z.object({
  approvers: z.array(z.string().min(1)).min(1),
  min_approvals: z.number().int().min(1),
  ttl_seconds: z.number().int().positive(),
  reason: z.string().min(1),
  /** hold: the call waits; async: the agent gets an approval id at once and repeats the call. */
  mode: z.enum(['hold', 'async']).optional(),
});

export const auditObligationSchema = z.object({
  labels: z.record(z.string(), z.unknown()).optional(),
  redact_arguments: z.array(z.string()).optional(),
});

/** What a policy must return from regate/decision. */
export const policyResultSchema = z.object({
  allow: z.boolean(),
  reason: z.string().min(1),
  rule: z.string().min(1),
  approval: approvalObligationSchema.optional(),
  mask: z.array(maskObligationSchema).optional(),
  audit: auditObligationSchema.optional(),
});

export type MaskObligation = z.infer<typeof maskObligationSchema>;
export type ApprovalObligation = z.infer<typeof approvalObligationSchema>;
export type AuditObligation = z.infer<typeof auditObligationSchema>;
export type PolicyResult = z.infer<typeof policyResultSchema>;

/** allow: forward; approval: hold for a human; deny: refuse. */
export type DecisionOutcome = 'allow' | 'deny' | 'approval';

/** A decision as regate uses it: the policy's result plus where and when it was made. */
export interface PolicyDecision extends PolicyResult {
  readonly outcome: DecisionOutcome;
  /** Bundle revision of the engine that decided ('' for a bundle without one). */
  readonly revision: string;
  /** Unique per evaluation (UUID); ties the decision to transcript events and logs. */
  readonly decision_id: string;
  readonly duration_us: number;
  /** Present when regate denied on its own because the policy could not decide (fail closed). */
  readonly error?: { readonly code: ErrorCode; readonly detail: string };
}

/** Rule name of every deny regate makes itself because the policy could not decide. */
export const FAIL_CLOSED_RULE = 'regate.fail_closed';

/** Precedence of DESIGN.md: deny wins over approval, approval wins over allow. */
export function outcomeOf(result: Pick<PolicyResult, 'allow' | 'approval'>): DecisionOutcome {
  if (result.approval !== undefined) return 'approval';
  return result.allow ? 'allow' : 'deny';
}

const FAIL_CLOSED_REASONS: Partial<Record<ErrorCode, string>> = {
  REGATE_ERR_POLICY_UNDEFINED: 'the policy returned no decision for this request',
  REGATE_ERR_POLICY_RESULT: 'the policy returned a malformed decision for this request',
  REGATE_ERR_POLICY_EVAL: 'the policy failed while evaluating this request',
  REGATE_ERR_POLICY_NOT_READY: 'no policy is loaded yet',
};

/** The deny regate returns when the policy cannot decide; `detail` is for logs, not for the agent. */
export function failClosedResult(code: ErrorCode, detail: string): PolicyResult & { error: { code: ErrorCode; detail: string } } {
  const why = FAIL_CLOSED_REASONS[code] ?? 'regate could not evaluate its policy for this request';
  return {
    allow: false,
    rule: FAIL_CLOSED_RULE,
    reason: `${why}, so it was denied to be safe; retrying later may help, otherwise contact a regate administrator`,
    error: { code, detail },
  };
}

/** Validates a policy result set (`[{result}]`) and returns the result or a fail-closed deny. */
export function parseResultSet(resultSet: unknown): PolicyResult & { error?: { code: ErrorCode; detail: string } } {
  if (!Array.isArray(resultSet)) return failClosedResult('REGATE_ERR_POLICY_RESULT', 'result set is not an array');
  if (resultSet.length === 0) return failClosedResult('REGATE_ERR_POLICY_UNDEFINED', 'regate/decision is undefined for this input');
  if (resultSet.length > 1) return failClosedResult('REGATE_ERR_POLICY_RESULT', `${resultSet.length} results, expected one`);
  const first: unknown = resultSet[0];
  const value = first !== null && typeof first === 'object' ? (first as { result?: unknown }).result : undefined;
  if (value === undefined) return failClosedResult('REGATE_ERR_POLICY_UNDEFINED', 'regate/decision is undefined for this input');
  const parsed = policyResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'decision';
    return failClosedResult('REGATE_ERR_POLICY_RESULT', `${where}: ${issue?.message ?? 'invalid'}`);
  }
  const result = parsed.data;
  // Approval wins over allow: a decision asking for approval never forwards by itself.
  return result.approval !== undefined && result.allow ? { ...result, allow: false } : result;
}
