/**
 * The access review as data: what `regate review` prints in every format (the JSON format is this
 * object). Counts only, never content: a review can be shared without spreading what it reviews.
 */

/** Approvals of one principal on one connection. */
export interface ApprovalFigures {
  /** Calls the policy held for approval (decision `approval`). */
  requested: number;
  granted: number;
  denied: number;
  expired: number;
  /** Decisions per approver name. */
  approvers: Record<string, number>;
  /** Justifications given (the first MAX_EXAMPLES, in the order recorded). */
  justifications: string[];
}

/** What one principal did on one connection. */
export interface PrincipalReview {
  connection: string;
  principal_id: string;
  principal_name: string;
  principal_type: string;
  /** Client messages (request events) of every method. */
  calls: number;
  /** tools/call requests, per tool. */
  tools: Record<string, number>;
  denials: number;
  denials_by_rule: Record<string, number>;
  approvals: ApprovalFigures;
  /** Values masked per detector (or JSON path) in what the principal received. */
  masked: Record<string, number>;
  /** Detector hits left in clear in what the principal received. */
  exposed: Record<string, number>;
  /** regate's own error answers. */
  errors: number;
  sessions: number;
  first_seen: string;
  last_seen: string;
}

/** One bucket of the calls/denials timeline. */
export interface TimelinePoint {
  start: string;
  calls: number;
  denials: number;
}

/** A recorded call a later policy would hold for approval. */
export interface UnapprovedCall {
  time: string;
  connection: string;
  principal_id: string;
  tool: string;
  rule: string;
}

export interface UnapprovedFigures {
  bundle: string;
  revision: string;
  /** Allowed calls the bundle would hold for approval. */
  count: number;
  examples: UnapprovedCall[];
}

export interface ReviewSummary {
  principals: number;
  connections: number;
  calls: number;
  tool_calls: number;
  denials: number;
  approvals_requested: number;
  approvals_granted: number;
  approvals_denied: number;
  errors: number;
  sessions: number;
  masked: Record<string, number>;
  exposed: Record<string, number>;
  masked_total: number;
  exposed_total: number;
  /** Present when a bundle was given (`--bundle`); else `unapproved_note` says why not. */
  unapproved?: UnapprovedFigures;
  unapproved_note?: string;
}

export interface AccessReview {
  generated_at: string;
  since: string;
  until: string;
  filters: { connection?: string; principal?: string };
  source: string;
  /** Events read in range, duplicates skipped (same event_id), lines that were not events. */
  events: { read: number; duplicates: number; invalid: number; dedupe_window: number };
  summary: ReviewSummary;
  timeline: { bucket: 'hour' | 'day'; points: TimelinePoint[] };
  principals: PrincipalReview[];
}

/** Examples kept per list (justifications, unapproved calls), so a review stays small. */
export const MAX_EXAMPLES = 20;
