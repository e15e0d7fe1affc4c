/**
 * The approvals stage: a call whose decision carries an approval obligation is held until enough
 * approvers agree (hold mode) or answered at once with an approval id the agent's identical retry
 * rides on (async mode). Approved calls are decided again with `input.approval` and go on only if
 * that decision allows; a grant is spent atomically before the call moves, so it runs at most as
 * often as granted, and never unapproved.
 */
import { catalogue, type ErrorCode } from '../errors.ts';
import { toolErrorResult } from '../mcp/tool-error-result.ts';
import type { Logger } from 'pino';
import type { ApprovalFacts, CallRecord } from '../pipeline/call-record.ts';
import type { ReleasedVerdict, RequestVerdict, Stage } from '../pipeline/stage.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import type { ApprovalInput } from '../policy/input.ts';
import { keepFirstDecision } from '../policy/first-decision.ts';
import { idOf, type JSONRPCMessage, type RequestId } from '../mcp/jsonrpc.ts';
import { denialReply } from '../enforcement/denial.ts';
import { capText } from '../text/cap.ts';
import { isInputRequired } from '../mcp/input-required.ts';
import { approvalArguments, argumentDigest, redactArguments } from './arguments.ts';
import { newApprovalId, type ApprovalBook } from './book.ts';
import { clientChannelOf } from '../pipeline/client-channel.ts';
import { acceptedJustification, canAskInline, continuesRoundTrip, describeAnswer, inlineJustification, justificationForm, justificationInputRequired, justificationOf, NO_JUSTIFICATION, NOT_ANSWERED } from './justification.ts';

export { NO_JUSTIFICATION, justificationOf } from './justification.ts';
import type { ApprovalsConfig } from './config.ts';
import { argumentMasker } from '../masking/arguments.ts';
import { maskingConfigSchema } from '../masking/config.ts';
import { plannerFollowing } from '../masking/planner-source.ts';
import type { ApprovalMode, ApprovalRecord, CallIdentity } from './record.ts';

export interface ApprovalStageOptions {
  readonly book: ApprovalBook;
  readonly config: ApprovalsConfig;
  /** Base URL of the approval page, e.g. https://regate.example.com/approvals (known once listening). */
  readonly pageUrl: () => string;
  /** The policy's re-check of an approved call (PolicyStage.redecide). */
  readonly redecide: (call: CallRecord, approval: ApprovalInput) => PolicyDecision | Promise<PolicyDecision>;
  readonly log: Logger;
  /** Called once a new request is stored (notifiers). */
  readonly onRequested?: (record: ApprovalRecord) => void;
  /** +1 when a call starts waiting, -1 when it stops (metrics). */
  readonly onHeld?: (delta: 1 | -1) => void;
  /**
   * Masks what the requester wrote (the justification) before it goes into the approval record,
   * hence the page, the notifications and the transcript: the audit's argument masker
   * (`argumentMasker(planner)`, src/masking/arguments.ts). Absent: every built-in detector.
   */
  readonly maskArguments?: (call: CallRecord, value: unknown) => unknown;
}

/** Every built-in detector (no bundle's custom ones), for a stage built without the gateway's masker. */
let builtinMasker: ((call: CallRecord, value: unknown) => unknown) | undefined;
const defaultMasker = () => (builtinMasker ??= argumentMasker(plannerFollowing(maskingConfigSchema.parse({}), () => undefined)));

/** Who approved, when, and what they said. */
function approversOf(r: ApprovalRecord): ApprovalFacts['approvers'] {
  return r.votes.filter((v) => v.decision === 'approve').map((v) => ({ id: v.id, name: v.name, at: new Date(v.at).toISOString(), ...(v.comment ? { comment: v.comment } : {}) }));
}

/** The call record's view of an approval. */
export function approvalFacts(r: ApprovalRecord): ApprovalFacts {
  return { id: r.id, status: r.status, approvers: approversOf(r), justification: r.justification };
}

/** What policy sees when it re-checks an approved call. */
export function approvalInput(r: ApprovalRecord): ApprovalInput {
  const approved = r.votes.filter((v) => v.decision === 'approve');
  return {
    id: r.id,
    status: 'approved',
    tool: r.tool,
    approved_by: approved.map((v) => ({ id: v.id, groups: v.groups })),
    expires_unix_ns: (r.grant_expires_at ?? r.expires_at) * 1e6,
    approvers: approversOf(r),
    justification: r.justification,
  };
}

/**
 * A tool result the agent can act on (`isError`), or a JSON-RPC error for other methods whose
 * code says why: the policy's refusal, or the shared store being unavailable.
 */
function toolError(call: CallRecord, id: RequestId, text: string, meta: Record<string, unknown>, code: ErrorCode): JSONRPCMessage {
  if (call.method === 'tools/call') return toolErrorResult(id, text, call.exchange.era, 'regate/approval', { ...meta, code });
  return { jsonrpc: '2.0', id, error: { code: catalogue[code].rpc, message: text, data: { code, ...meta } } } as JSONRPCMessage;
}

/** A request made after asking the requester why: its id (named while asking) and the answer. */
type Asked = { readonly id: string; readonly justification: string };

/** Builds the approvals stage. */
export function createApprovalStage(o: ApprovalStageOptions): Stage {
  const { book, config, log } = o;
  const maskArguments = o.maskArguments ?? defaultMasker();
  /** The requester's text as approvers, notifications and the transcript may see it. */
  const masked = (call: CallRecord, text: string): string => {
    if (text === NO_JUSTIFICATION) return text;
    const m = maskArguments(call, text);
    return typeof m === 'string' ? m : '[WITHHELD]';
  };
  const linkFor = (id: string) => `${o.pageUrl().replace(/\/+$/, '')}/${id}`;
  /** Calls that went on by an approval, with what their round trips with the upstream are bound to. */
  const approved = new WeakMap<CallRecord, { readonly identity: CallIdentity; readonly ttlMs: number }>();

  const what = (call: CallRecord) => (call.method === 'tools/call' && call.tool !== undefined ? `the call to tool "${capText(call.tool)}"` : `this ${call.method} request`);

  const reply = (call: CallRecord, text: string, r: ApprovalRecord | undefined, code: ErrorCode = 'REGATE_ERR_POLICY_DENIED'): ReleasedVerdict => {
    if (r !== undefined) call.approval = approvalFacts(r);
    const id = idOf(call.message);
    if (id === undefined) return { action: 'reply' };
    return { action: 'reply', reply: toolError(call, id, text, r ? { id: r.id, status: r.status, url: linkFor(r.id) } : {}, code) };
  };

  /**
   * Re-decides with the approval, then spends one use of the grant (`spend`: false for a
   * continuation, which took its one ride already); continue only if both agree.
   */
  const proceed = async (call: CallRecord, r: ApprovalRecord, identity: CallIdentity, spend = true): Promise<ReleasedVerdict> => {
    const d = await o.redecide(call, approvalInput(r));
    if (d.outcome !== 'allow') {
      const id = idOf(call.message);
      call.approval = approvalFacts(r);
      return id === undefined ? { action: 'reply' } : { action: 'reply', reply: denialReply(id, call.method, call.tool, d, call.exchange.era) };
    }
    let record = r;
    if (spend) {
      let spent;
      try {
        spent = await book.use(r.id, identity);
      } catch (err) {
        log.warn({ err, approval_id: r.id }, 'approval: could not spend the grant; the call is not made');
        return reply(call, `regate could not confirm approval ${r.id} for ${what(call)} (the shared store is unavailable), so the call was not made; retry it.`, r, 'REGATE_ERR_STORE_UNAVAILABLE');
      }
      if (!spent.ok) return reply(call, `approval ${r.id} cannot be used for ${what(call)}: ${spent.error.detail ?? spent.error.message}.`, spent.record ?? r);
      record = spent.record;
    }
    // The transcript records the decision that held the call; the call goes on with the re-decision.
    if (call.decision !== undefined) keepFirstDecision(call, call.decision);
    call.decision = d;
    call.approval = approvalFacts(record);
    approved.set(call, { identity, ttlMs: r.grant_ttl_ms });
    return { action: 'continue' };
  };

  /**
   * A 2026 request that continues a round trip the upstream began while running an approved call
   * rides on that approval once (re-decided with it, as the call was): the human approved the call,
   * and the upstream's question is part of running it.
   */
  const continuation = async (call: CallRecord, identity: CallIdentity): Promise<RequestVerdict | undefined> => {
    if (call.exchange.era !== '2026' || !continuesRoundTrip(call.message)) return undefined;
    const state = (call.message as { params?: { requestState?: unknown } }).params?.requestState;
    if (state !== undefined && typeof state !== 'string') return undefined;
    const r = await book.takeContinuation(identity, state).catch((err: unknown) => {
      log.warn({ err }, 'approval: could not read a round trip of an approved call; asking for approval again');
      return undefined;
    });
    return r === undefined ? undefined : proceed(call, r, identity, false);
  };

  const newRecord = (call: CallRecord, identity: CallIdentity, mode: ApprovalMode, args: unknown, asked?: Asked): ApprovalRecord | undefined => {
    const d = call.decision;
    const p = call.exchange.principal;
    if (d?.approval === undefined || p === undefined) return undefined;
    const now = book.now();
    return {
      v: 1,
      id: asked?.id ?? newApprovalId(),
      status: 'pending',
      mode,
      requester: { id: p.id, name: p.name, type: p.type, tenant: p.tenant },
      connection: identity.connection,
      tool: identity.tool,
      digest: identity.digest,
      // Approvers see the arguments as the transcript records them: redacted by policy, then masked.
      arguments: maskArguments(call, redactArguments(args, d.audit?.redact_arguments)),
      reason: d.approval.reason,
      rule: d.rule,
      revision: d.revision,
      decision_id: d.decision_id,
      approvers: d.approval.approvers,
      min_approvals: d.approval.min_approvals,
      // A card number typed as a justification must not reach Teams, the page or the transcript.
      justification: masked(call, asked?.justification ?? justificationOf(call.message)),
      ...(call.exchange.sessionId !== undefined ? { session_id: call.exchange.sessionId } : {}),
      created_at: now,
      expires_at: now + Math.round(config.timeout_seconds * 1000),
      grant_ttl_ms: d.approval.ttl_seconds * 1000,
      max_uses: mode === 'hold' ? 1 : config.max_uses,
      uses: 0,
      votes: [],
      updated_at: now,
    };
  };

  const outcomeText = (call: CallRecord, r: ApprovalRecord): string => {
    const by = r.votes.find((v) => v.decision === 'deny');
    switch (r.status) {
      case 'denied':
        return `${by?.name ?? 'an approver'} denied ${what(call)} (approval ${r.id})${by?.comment ? `: "${capText(by.comment, 500)}"` : ', without a comment'}. The call was not made; do not retry it unchanged.`;
      case 'expired':
        return `nobody approved ${what(call)} within ${config.timeout_seconds} seconds (approval ${r.id} expired), so the call was not made; ask an approver (${r.approvers.join(', ')}) and retry.`;
      case 'cancelled':
        return `approval ${r.id} for ${what(call)} was cancelled (${r.ended ?? 'withdrawn'}); the call was not made.`;
      default:
        return `approval ${r.id} for ${what(call)} is ${r.status}; the call was not made.`;
    }
  };

  /** Stores a new request, logs where it can be decided, and notifies the approvers. */
  const request = async (call: CallRecord, identity: CallIdentity, mode: ApprovalMode, args: unknown, asked?: Asked): Promise<ApprovalRecord | undefined> => {
    const r = newRecord(call, identity, mode, args, asked);
    if (r === undefined) return undefined;
    await book.create(r);
    log.info(
      { approval_id: r.id, mode, connection: r.connection, tool: r.tool, principal_id: r.requester.id, approvers: r.approvers, url: linkFor(r.id) },
      `approval requested: ${r.requester.name} calls ${r.tool} on ${r.connection}; decide at ${linkFor(r.id)}`,
    );
    call.approval = approvalFacts(r);
    o.onRequested?.(r);
    return r;
  };

  /**
   * Whether to ask the requester for a justification with a form: asking is on, the call gave
   * none in `_meta["regate/justification"]`, and its client answers forms (a 2025 session that
   * declared it at initialize, a 2026 request that declares it).
   */
  const mayAsk = (call: CallRecord): boolean =>
    config.justification_seconds > 0 && call.exchange.answersForms === true && justificationOf(call.message) === NO_JUSTIFICATION;

  /** The requester's answer to a one-field form, or "none given" (no channel, declined, no answer in time). */
  const askJustification = async (call: CallRecord): Promise<string> => {
    const channel = await clientChannelOf(call.exchange);
    if (channel === undefined) return NO_JUSTIFICATION;
    const a = await channel.request('elicitation/create', justificationForm(call, what(call)), { call, signal: call.exchange.signal, timeoutMs: config.justification_seconds * 1000 });
    const given = a.kind === 'result' ? acceptedJustification(a.result) : undefined;
    if (given !== undefined) return given;
    const why = a.kind === 'result' ? `the requester answered ${describeAnswer(a.result)}` : a.kind === 'error' ? `the client could not ask (${capText(a.message, 200)})` : `no answer (${a.why})`;
    log.info({ tool: call.tool, connection: call.exchange.connection.name, principal_id: call.exchange.principal?.id }, `approval: no justification given: ${why}`);
    return NO_JUSTIFICATION;
  };

  const hold = async (call: CallRecord, r: ApprovalRecord, identity: CallIdentity): Promise<ReleasedVerdict> => {
    o.onHeld?.(1);
    let s;
    try {
      s = await book.settle(r.id, call.exchange.signal, config.recheck_seconds * 1000, r.expires_at);
    } finally {
      o.onHeld?.(-1);
    }
    switch (s.kind) {
      case 'aborted': {
        // The exchange's abort reason says which: the client hung up, or regate is draining.
        const reason = call.exchange.signal.reason as { detail?: unknown; message?: unknown } | undefined;
        const why = typeof reason?.detail === 'string' ? reason.detail : reason?.message === 'draining' ? 'regate stopped while the call was held' : 'the requester hung up';
        const c = await book.cancel(r.id, why).catch(() => undefined);
        if (c?.ok) call.approval = approvalFacts(c.record);
        return { action: 'reply' };
      }
      case 'lost':
        return reply(call, `approval ${r.id} for ${what(call)} was lost (regate's shared store lost its state), so the call was not made; retry it to ask again.`, undefined, 'REGATE_ERR_STORE_UNAVAILABLE');
      case 'unreachable':
        return reply(call, `regate could not learn the outcome of approval ${r.id} before its deadline (the shared store is unavailable), so the call was not made; retry it later.`, r, 'REGATE_ERR_STORE_UNAVAILABLE');
      case 'decided':
        if (s.record.status === 'approved') return proceed(call, s.record, identity);
        return reply(call, outcomeText(call, s.record), s.record);
    }
  };

  return {
    name: 'approvals',

    async fromServer(message, call) {
      // An approved call the upstream answers input_required (2026): its continuation rides on the approval.
      const a = approved.get(call);
      const result = (message as { result?: unknown }).result;
      if (a === undefined || call.approval === undefined || !isInputRequired(result)) return message;
      const state = (result as { requestState?: unknown }).requestState;
      await book.noteContinuation(a.identity, call.approval.id, typeof state === 'string' ? state : undefined, a.ttlMs).catch((err: unknown) => {
        log.warn({ err, approval_id: call.approval?.id }, 'approval: could not note the upstream\'s round trip; its continuation will be asked for approval again');
      });
      return message;
    },

    async request(call: CallRecord): Promise<RequestVerdict> {
      // 2026: an answer to regate's own form never goes upstream, whatever the decision (the key is regate's).
      const inline = call.exchange.era === '2026' ? inlineJustification(call.message) : NOT_ANSWERED;
      if (inline.answered) call.forwarded = inline.forwarded;
      const d = call.decision;
      if (d?.outcome !== 'approval' || call.enforced === false) return { action: 'continue' };
      const id = idOf(call.message);
      // An approval outcome without its obligation cannot be asked for: refused, never let through.
      if (d.approval === undefined) return id === undefined ? { action: 'reply' } : { action: 'reply', reply: denialReply(id, call.method, call.tool, d, call.exchange.era) };
      const p = call.exchange.principal;
      if (id === undefined) return { action: 'reply' };
      // Fail closed: nobody can be asked on behalf of an unknown caller (policy denies those first).
      if (p === undefined) return reply(call, `regate cannot ask for approval of ${what(call)} without an authenticated caller; the call was not made.`, undefined);
      const params = (call.message as { params?: Record<string, unknown> }).params ?? {};
      const args = approvalArguments(call.method, params);
      const identity: CallIdentity = { principal: p.id, connection: call.exchange.connection.name, tool: call.tool ?? call.method, digest: argumentDigest(args) };
      const mode: ApprovalMode = d.approval.mode ?? config.mode;
      const continued = await continuation(call, identity);
      if (continued !== undefined) return continued;

      if (mode === 'async') {
        const latest = await book.latestFor(identity);
        if (latest?.status === 'approved') return proceed(call, latest, identity);
        if (latest?.status === 'pending') {
          call.approval = approvalFacts(latest);
          return reply(call, `${what(call)} still waits for approval ${latest.id} by ${latest.approvers.join(', ')} at ${linkFor(latest.id)}; repeat this exact call once it is approved.`, latest);
        }
      }

      // Ask the requester why first (the approvers see the answer), then ask the approvers.
      let asked: Asked | undefined;
      if (mode === 'hold' && mayAsk(call) && canAskInline(call)) {
        // 2026: answer input_required with the form; the client's retry carries the answer. A
        // request that continues a round trip the upstream began (its requestState, answers to
        // its questions) is not asked: asking would drop what the upstream needs to finish.
        if (inline.answered) asked = { id: newApprovalId(), justification: inline.justification };
        else if (!continuesRoundTrip(call.message)) return { action: 'reply', reply: justificationInputRequired(id, call, what(call)) };
      } else if (mode === 'hold' && mayAsk(call) && call.exchange.era === '2025') {
        // 2025: ask on the held call's stream, then create the request.
        const approvalId = newApprovalId();
        return {
          action: 'hold',
          waitingFor: `your answer to regate's question (why this call is needed), then approval by ${d.approval.approvers.join(', ')} at ${linkFor(approvalId)}`,
          release: (async (): Promise<ReleasedVerdict> => {
            const justification = await askJustification(call);
            // A requester who hung up while asked withdrew the call: nobody is asked to approve it.
            if (call.exchange.signal.aborted) return { action: 'reply' };
            const r = await request(call, identity, mode, args, { id: approvalId, justification });
            return r === undefined ? { action: 'reply' } : hold(call, r, identity);
          })(),
        };
      }
      const r = await request(call, identity, mode, args, asked);
      if (r === undefined) return { action: 'reply' };
      if (mode === 'async') {
        const times = r.max_uses === 1 ? 'once' : `${r.max_uses} times`;
        return reply(
          call,
          `regate policy requires human approval for ${what(call)}: ${r.reason}. Approval request ${r.id} was sent to ${r.approvers.join(', ')}; ` +
            `it can be decided at ${linkFor(r.id)} within ${config.timeout_seconds} seconds. Once it is approved, repeat this exact call (same arguments): ` +
            `it will run ${times} within ${Math.round(r.grant_ttl_ms / 1000)} seconds of the approval. [rule ${d.rule}, decision ${d.decision_id}]`,
          r,
        );
      }
      return { action: 'hold', waitingFor: `approval by ${r.approvers.join(', ')} at ${linkFor(r.id)}`, release: hold(call, r, identity) };
    },
  };
}
