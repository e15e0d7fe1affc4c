/**
 * The approval record and its lifecycle as pure functions: every change of state is one function
 * from (record, event, now) to the next record or a refusal, so the store applies it atomically
 * (`store.update` runs it inside WATCH/MULTI on Redis) and the tests read as a table.
 *
 *   pending -> approved | denied | expired | cancelled;  approved -> used (grant spent) | expired | cancelled
 *
 * A decision is final: nothing leaves denied, expired, cancelled or used.
 */

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'used';
export type ApprovalMode = 'hold' | 'async';

/** Who asked, as the record keeps it (never the token). */
export interface Requester {
  readonly id: string;
  readonly name: string;
  readonly type: 'user' | 'app';
  readonly tenant: string;
}

/** One approver's vote. `groups` are the approver groups of the request the voter belongs to. */
export interface Vote {
  readonly id: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly decision: 'approve' | 'deny';
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly comment?: string;
}

export interface ApprovalRecord {
  readonly v: 1;
  /** Unguessable (256 random bits, base64url). */
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly mode: ApprovalMode;
  readonly requester: Requester;
  readonly connection: string;
  /** The tool (or, for another method, the method) the approval is for. */
  readonly tool: string;
  /** SHA-256 (hex) of the canonical JSON of the arguments: what an async grant is bound to. */
  readonly digest: string;
  /** The arguments after the decision's redaction: what approvers see. */
  readonly arguments: unknown;
  readonly reason: string;
  readonly rule: string;
  readonly revision: string;
  readonly decision_id: string;
  /** Approver groups (ids) from the obligation. */
  readonly approvers: readonly string[];
  readonly min_approvals: number;
  readonly justification: string;
  /** The requester's MCP session, when it has one: its recorded timeline is GET /sessions/{id}. */
  readonly session_id?: string;
  /** Milliseconds since the epoch. */
  readonly created_at: number;
  /** A pending request not decided by then is expired. */
  readonly expires_at: number;
  /** How long a grant lasts once approved (the obligation's ttl_seconds). */
  readonly grant_ttl_ms: number;
  /** Set on approval: the grant is usable until then. */
  readonly grant_expires_at?: number;
  readonly max_uses: number;
  readonly uses: number;
  readonly votes: readonly Vote[];
  /** When the record reached its current status. */
  readonly updated_at: number;
  /** Why it was cancelled or expired, in words. */
  readonly ended?: string;
}

/** A person deciding, as the API and the page know them. */
export interface Voter {
  readonly id: string;
  readonly name: string;
  readonly groups: readonly string[];
}

/** Why a transition was refused; maps to 403 (forbidden), 409 (conflict) or 404. */
export type Refusal = { readonly refused: 'forbidden' | 'conflict' | 'gone'; readonly why: string };

export type Transition = { readonly record: ApprovalRecord; readonly changed: boolean } | Refusal;

export function isRefusal(t: Transition): t is Refusal {
  return 'refused' in t;
}

/** The record as it stands at `now`: a pending request or an unused grant past its time reads as expired. */
export function effective(r: ApprovalRecord, now: number): ApprovalRecord {
  if (r.status === 'pending' && now >= r.expires_at) return { ...r, status: 'expired', updated_at: r.expires_at, ended: 'nobody decided in time' };
  if (r.status === 'approved' && r.grant_expires_at !== undefined && now >= r.grant_expires_at) {
    return { ...r, status: 'expired', updated_at: r.grant_expires_at, ended: 'the approval was not used in time' };
  }
  return r;
}

/** The approver groups `voter` belongs to among those the request names. */
export function approverGroupsOf(r: Pick<ApprovalRecord, 'approvers'>, voter: Pick<Voter, 'groups'>): string[] {
  return r.approvers.filter((g) => voter.groups.includes(g));
}

/** Why `voter` may not decide `r` at all (separation of duties), or undefined when they may. */
export function mayNotDecide(r: ApprovalRecord, voter: Voter): string | undefined {
  if (voter.id === r.requester.id) return 'nobody approves their own call';
  if (approverGroupsOf(r, voter).length === 0) return `only members of ${r.approvers.join(', ')} may decide this request`;
  return undefined;
}

/** Distinct people who approved. */
export function approvalCount(votes: readonly Vote[]): number {
  return new Set(votes.filter((v) => v.decision === 'approve').map((v) => v.id)).size;
}

/**
 * One approver's vote. Refused: the requester or a non-member (forbidden), a request no longer
 * pending (conflict: decided, expired, cancelled) or a second vote by the same person. A denial by
 * any approver is final; approval comes with `min_approvals` distinct approvers.
 */
export function vote(current: ApprovalRecord, voter: Voter, decision: 'approve' | 'deny', comment: string | undefined, now: number): Transition {
  const r = effective(current, now);
  const forbidden = mayNotDecide(r, voter);
  if (forbidden !== undefined) return { refused: 'forbidden', why: forbidden };
  if (r.status !== 'pending') return { refused: 'conflict', why: `the request is ${r.status}${r.ended ? ` (${r.ended})` : ''}; a decision is final` };
  if (r.votes.some((v) => v.id === voter.id)) return { refused: 'conflict', why: 'you have already voted on this request' };
  const cast: Vote = { id: voter.id, name: voter.name, groups: approverGroupsOf(r, voter), decision, at: now, ...(comment ? { comment } : {}) };
  const votes = [...r.votes, cast];
  if (decision === 'deny') return { record: { ...r, votes, status: 'denied', updated_at: now }, changed: true };
  if (approvalCount(votes) >= r.min_approvals) {
    return { record: { ...r, votes, status: 'approved', updated_at: now, grant_expires_at: now + r.grant_ttl_ms }, changed: true };
  }
  return { record: { ...r, votes, updated_at: now }, changed: true };
}

/** The requester hung up or withdrew: a pending request, or a hold grant not yet used, ends here. */
export function cancel(current: ApprovalRecord, why: string, now: number): Transition {
  const r = effective(current, now);
  if (r.status === 'pending' || (r.status === 'approved' && r.uses === 0)) {
    return { record: { ...r, status: 'cancelled', updated_at: now, ended: why }, changed: true };
  }
  return { record: r, changed: false };
}

/** Writes down an expiry that `effective` computes, so every reader and the transcript agree. */
export function expire(current: ApprovalRecord, now: number): Transition {
  const r = effective(current, now);
  return { record: r, changed: r.status !== current.status };
}

/** The facts a call must match to ride on a grant. */
export interface CallIdentity {
  readonly principal: string;
  readonly connection: string;
  readonly tool: string;
  readonly digest: string;
}

/**
 * Spends one use of a grant for a call with exactly these facts. Refused unless approved, unexpired,
 * uses left, and the same principal, connection, tool and argument digest.
 */
export function use(current: ApprovalRecord, call: CallIdentity, now: number): Transition {
  const r = effective(current, now);
  if (r.requester.id !== call.principal || r.connection !== call.connection || r.tool !== call.tool) {
    return { refused: 'forbidden', why: 'the approval was granted to another caller, connection or tool' };
  }
  if (r.digest !== call.digest) return { refused: 'forbidden', why: 'the arguments differ from those that were approved' };
  if (r.status !== 'approved') return { refused: 'conflict', why: `the request is ${r.status}${r.ended ? ` (${r.ended})` : ''}` };
  const uses = r.uses + 1;
  return { record: { ...r, uses, status: uses >= r.max_uses ? 'used' : 'approved', updated_at: now }, changed: true };
}
