/**
 * The requester's justification for a call that needs approval: given up front in
 * `_meta["regate/justification"]`, or asked with a one-field form where the client can answer
 * one. A 2025 session is asked with `elicitation/create` on the held call's stream (stage.ts); a
 * 2026-07-28 request is answered `input_required` with the same form, and the client's retry
 * carries the answer in `inputResponses["regate/justification"]`, which regate takes out before
 * the call goes upstream (the upstream never asked). Approvers see the answer; the transcript and
 * the access review report it. Pure: no I/O.
 */
import type { JSONRPCMessage, RequestId } from '../mcp/jsonrpc.ts';
import type { CallRecord } from '../pipeline/call-record.ts';
import { REGATE_INPUT_KEY_PREFIX } from '../mcp/reserved.ts';
import { capText } from '../text/cap.ts';

/** The key of regate's form in a 2026 `inputRequests` / `inputResponses`, and the `_meta` key. */
export const JUSTIFICATION_KEY = `${REGATE_INPUT_KEY_PREFIX}justification`;

export const NO_JUSTIFICATION = 'none given';
const JUSTIFICATION_LIMIT = 1000;

/** The requester's justification from `_meta["regate/justification"]`, else "none given". */
export function justificationOf(message: JSONRPCMessage): string {
  const j = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta?.[JUSTIFICATION_KEY];
  return typeof j === 'string' && j.trim() !== '' ? capText(j.trim(), JUSTIFICATION_LIMIT) : NO_JUSTIFICATION;
}

/** The one-field form that asks the requester why (elicitation/create params, form mode). */
export function justificationForm(call: CallRecord, what: string): Record<string, unknown> {
  const reason = call.decision?.approval?.reason;
  // `mode` exists from 2025-11-25 on; a 2025-06-18 client knows only forms and no such field.
  const modern = (call.exchange.protocolVersion ?? '') >= '2025-11-25';
  return {
    ...(modern ? { mode: 'form' } : {}),
    message: `regate holds ${what} for human approval${reason ? ` (${capText(reason, 300)})` : ''}. Why do you need this call? The approvers will see your answer.`,
    requestedSchema: {
      type: 'object',
      properties: {
        justification: { type: 'string', title: 'Justification', description: 'Why this call is needed, for the approvers', minLength: 1, maxLength: JUSTIFICATION_LIMIT },
      },
      required: ['justification'],
    },
  };
}

/** The justification in an accepted form answer, trimmed and capped; undefined for anything else. */
export function acceptedJustification(result: unknown): string | undefined {
  const r = result as { action?: unknown; content?: { justification?: unknown } } | undefined;
  const j = r?.action === 'accept' ? r.content?.justification : undefined;
  return typeof j === 'string' && j.trim() !== '' ? capText(j.trim(), JUSTIFICATION_LIMIT) : undefined;
}

/** How a form answer without a justification was given (its action), for the log. */
export function describeAnswer(result: unknown): string {
  const action = (result as { action?: unknown } | undefined)?.action;
  return typeof action === 'string' ? capText(action, 20) : 'without an action';
}

/** Methods a 2026 server (here: regate) may answer `input_required`. */
const INPUT_REQUIRED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** True when a 2026 request can be answered `input_required` to ask for a justification. */
export function canAskInline(call: CallRecord): boolean {
  return call.exchange.era === '2026' && INPUT_REQUIRED_METHODS.has(call.method);
}

/** regate's `input_required` answer asking for the justification (2026-07-28, SEP-2322). */
export function justificationInputRequired(id: RequestId, call: CallRecord, what: string): JSONRPCMessage {
  return {
    jsonrpc: '2.0',
    id,
    result: { resultType: 'input_required', inputRequests: { [JUSTIFICATION_KEY]: { method: 'elicitation/create', params: justificationForm(call, what) } } },
  } as JSONRPCMessage;
}

export type InlineAnswer = { readonly answered: false } | { readonly answered: true; readonly justification: string; readonly forwarded: JSONRPCMessage };
export const NOT_ANSWERED: InlineAnswer = Object.freeze({ answered: false });

/**
 * True when a 2026 request continues a round trip its server began: it echoes a `requestState`
 * or answers the server's `inputRequests` (entries other than regate's own).
 */
export function continuesRoundTrip(message: JSONRPCMessage): boolean {
  const params = (message as { params?: Record<string, unknown> }).params;
  if (params?.requestState !== undefined) return true;
  const responses = params?.inputResponses;
  if (typeof responses !== 'object' || responses === null) return false;
  return Object.keys(responses).some((k) => k !== JUSTIFICATION_KEY);
}

/**
 * The answer to regate's form in a 2026 retry: `answered` false when the request carries none
 * (ask), else the justification (or "none given" for a decline, a cancel, an empty answer) and the
 * message to forward, without regate's entry in `inputResponses` (dropped when it was the only one).
 */
export function inlineJustification(message: JSONRPCMessage): InlineAnswer {
  const params = (message as { params?: Record<string, unknown> }).params;
  const responses = params?.inputResponses;
  if (typeof responses !== 'object' || responses === null || Array.isArray(responses) || !(JUSTIFICATION_KEY in responses)) return { answered: false };
  const { [JUSTIFICATION_KEY]: answer, ...others } = responses as Record<string, unknown>;
  const { inputResponses: _dropped, ...rest } = params!;
  const forwardedParams = Object.keys(others).length > 0 ? { ...rest, inputResponses: others } : rest;
  return { answered: true, justification: acceptedJustification(answer) ?? NO_JUSTIFICATION, forwarded: { ...message, params: forwardedParams } as JSONRPCMessage };
}
