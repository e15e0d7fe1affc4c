/**
 * What approvers (and the requester) are shown of a request, on the JSON API and the page alike:
 * the redacted arguments, never the raw ones, and no store internals.
 */
import type { ApprovalBook } from './book.ts';
import { approvalCount, mayNotDecide, type ApprovalRecord, type Voter } from './record.ts';

export interface ApprovalView {
  readonly id: string;
  readonly status: ApprovalRecord['status'];
  readonly mode: ApprovalRecord['mode'];
  readonly requester: { readonly id: string; readonly name: string; readonly type: string };
  readonly connection: string;
  readonly tool: string;
  readonly arguments: unknown;
  readonly arguments_sha256: string;
  readonly justification: string;
  /**
   * Whether the request came from an MCP session with a recorded timeline. The session id itself is
   * not shown: it is the requester's to use (an approver is another principal); auditors find the
   * session in the transcripts by this request's decision id, then read it with GET /sessions/{id}.
   */
  readonly session_recorded: boolean;
  readonly reason: string;
  readonly rule: string;
  readonly bundle_revision: string;
  readonly decision_id: string;
  readonly approvers: readonly string[];
  readonly min_approvals: number;
  readonly approvals: number;
  readonly votes: ReadonlyArray<{ id: string; name: string; decision: string; at: string; comment?: string }>;
  readonly created_at: string;
  readonly expires_at: string;
  readonly grant_expires_at?: string;
  readonly uses: number;
  readonly max_uses: number;
  readonly ended?: string;
  /** Whether the person asking may decide it now. */
  readonly can_decide: boolean;
  readonly url: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The view of `r` for `viewer`; `pageUrl` is the approvals base URL. */
export function approvalView(r: ApprovalRecord, viewer: Voter, pageUrl: string): ApprovalView {
  return {
    id: r.id,
    status: r.status,
    mode: r.mode,
    requester: { id: r.requester.id, name: r.requester.name, type: r.requester.type },
    connection: r.connection,
    tool: r.tool,
    arguments: r.arguments,
    arguments_sha256: r.digest,
    justification: r.justification,
    session_recorded: r.session_id !== undefined,
    reason: r.reason,
    rule: r.rule,
    bundle_revision: r.revision,
    decision_id: r.decision_id,
    approvers: r.approvers,
    min_approvals: r.min_approvals,
    approvals: approvalCount(r.votes),
    votes: r.votes.map((v) => ({ id: v.id, name: v.name, decision: v.decision, at: iso(v.at), ...(v.comment ? { comment: v.comment } : {}) })),
    created_at: iso(r.created_at),
    expires_at: iso(r.expires_at),
    ...(r.grant_expires_at !== undefined ? { grant_expires_at: iso(r.grant_expires_at) } : {}),
    uses: r.uses,
    max_uses: r.max_uses,
    ...(r.ended !== undefined ? { ended: r.ended } : {}),
    can_decide: r.status === 'pending' && mayNotDecide(r, viewer) === undefined && !r.votes.some((v) => v.id === viewer.id),
    url: `${pageUrl.replace(/\/+$/, '')}/${r.id}`,
  };
}

/** Whether `viewer` may see `r` at all: its requester, or someone who may decide it. */
export function maySee(r: ApprovalRecord, viewer: Voter): boolean {
  return viewer.id === r.requester.id || mayNotDecide(r, viewer) === undefined;
}

/** The pending requests `viewer` may decide, as the API and the page list them. */
export async function decidableBy(book: Pick<ApprovalBook, 'pending'>, viewer: Voter, pageUrl: string): Promise<ApprovalView[]> {
  return (await book.pending()).map((a) => approvalView(a, viewer, pageUrl)).filter((v) => v.can_decide);
}
