/**
 * MCP 2026-07-28 multi round-trip requests (SEP-2322) and result caching hints (SEP-2549), as
 * regate must treat them.
 *
 * Without sessions a server cannot send the client a request; instead `tools/call`,
 * `prompts/get` or `resources/read` answer
 * `{resultType: "input_required", inputRequests: {key: {method, params}}, requestState}` and the
 * client retries the original request (new id) with `inputResponses` and the echoed
 * `requestState`. Each `inputRequests` entry is what a 2025 server would have sent as a
 * server->client request (`elicitation/create`, `sampling/createMessage`, `roots/list`), so policy
 * decides each one as such; refused entries are removed, and when none is left the client gets a
 * refusal instead. `requestState` is the server's opaque memory: passed through byte for byte and
 * only ever logged as a digest.
 *
 * Pure: no HTTP.
 */
import { createHash } from 'node:crypto';
import { RegateError } from '../errors.ts';
import type { ProtocolEra } from '../pipeline/call-record.ts';
import { isRecord } from '../util/is-record.ts';

/** One embedded server->client request of an `input_required` result. */
export interface InputRequestEntry {
  /** The server-assigned key the client answers under in `inputResponses`. */
  readonly key: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>> | undefined;
}

/** True when a result asks the client for input (`resultType: "input_required"`). */
export function isInputRequired(result: unknown): boolean {
  return isRecord(result) && result.resultType === 'input_required';
}

/**
 * The entries of an `input_required` result's `inputRequests`, in the server's order, each to be
 * decided as a server->client request (`mcp.direction: "server_to_client"`, `mcp.method`,
 * `mcp.params`). An entry without a string method is kept with method `""`, so policy (which
 * knows no such method) refuses it rather than regate letting it through unexamined.
 */
export function inputRequestsOf(result: unknown): InputRequestEntry[] {
  if (!isInputRequired(result)) return [];
  const requests = (result as Record<string, unknown>).inputRequests;
  if (!isRecord(requests)) return [];
  return Object.entries(requests).map(([key, value]) => {
    const v = isRecord(value) ? value : {};
    return { key, method: typeof v.method === 'string' ? v.method : '', params: isRecord(v.params) ? v.params : undefined };
  });
}

/** Policy's verdict on one input request. */
export type InputRequestVerdict = { readonly allow: true } | { readonly allow: false; readonly reason: string };

export interface RefusedInputRequest {
  readonly key: string;
  readonly method: string;
  readonly reason: string;
}

/** What regate sends the client instead of the upstream's `input_required` result. */
export type InputRequiredOutcome =
  /** Every entry allowed: forward the upstream's result unchanged. */
  | { readonly kind: 'unchanged'; readonly result: Record<string, unknown> }
  /** Some refused and removed; the rest (and `requestState`) forwarded. */
  | { readonly kind: 'filtered'; readonly result: Record<string, unknown>; readonly refused: readonly RefusedInputRequest[] }
  /** All refused: answer the client's request with this error instead (JSON-RPC error, same id). */
  | { readonly kind: 'refused'; readonly error: RegateError; readonly refused: readonly RefusedInputRequest[] };

/**
 * Applies the verdicts (by entry key; a key without a verdict is refused) to an `input_required`
 * result. When nothing is left the result would make the client retry with no answers (or, with a
 * bare `requestState`, poll): a REGATE_ERR_POLICY_DENIED naming what was refused and why is the
 * answer the client can act on. `requestState` and every other field pass through unchanged.
 */
export function applyInputRequestVerdicts(result: Record<string, unknown>, verdicts: ReadonlyMap<string, InputRequestVerdict>): InputRequiredOutcome {
  const entries = inputRequestsOf(result);
  const refused: RefusedInputRequest[] = [];
  for (const e of entries) {
    const v = verdicts.get(e.key);
    if (v === undefined) refused.push({ key: e.key, method: e.method, reason: 'no policy decision' });
    else if (!v.allow) refused.push({ key: e.key, method: e.method, reason: v.reason });
  }
  if (refused.length === 0) return { kind: 'unchanged', result };
  if (refused.length === entries.length) {
    const what = refused.map((r) => `${r.method || 'an input request'} (${JSON.stringify(r.key)}): ${r.reason}`).join('; ');
    return { kind: 'refused', error: new RegateError('REGATE_ERR_POLICY_DENIED', `the server asked for input that policy refused: ${what}`), refused };
  }
  const gone = new Set(refused.map((r) => r.key));
  const kept = Object.fromEntries(Object.entries(result.inputRequests as Record<string, unknown>).filter(([k]) => !gone.has(k)));
  return { kind: 'filtered', result: { ...result, inputRequests: kept }, refused };
}

/** Decides each input request with `decide` (in order) and applies the verdicts. */
export async function decideInputRequests(
  result: Record<string, unknown>,
  decide: (entry: InputRequestEntry) => Promise<InputRequestVerdict> | InputRequestVerdict,
): Promise<InputRequiredOutcome> {
  const verdicts = new Map<string, InputRequestVerdict>();
  for (const entry of inputRequestsOf(result)) verdicts.set(entry.key, await decide(entry));
  return applyInputRequestVerdicts(result, verdicts);
}

// ---------------------------------------------------------------------------------------------
// requestState: never logged in full

/** A loggable stand-in for a `requestState`: its length and a SHA-256 prefix (enough to correlate rounds). */
export function requestStateDigest(state: string): string {
  return `sha256:${createHash('sha256').update(state, 'utf8').digest('hex').slice(0, 16)} (${state.length} chars)`;
}

/**
 * A copy of a result or of request params fit for logs and transcripts: a string `requestState`
 * replaced by its digest. The original object is not touched (it is what gets forwarded).
 */
export function withRequestStateDigest<T extends Record<string, unknown>>(value: T): T {
  return typeof value.requestState === 'string' ? { ...value, requestState: requestStateDigest(value.requestState) } : value;
}

/**
 * A JSON-RPC message fit for a transcript: a request's `params.requestState` (the client's retry)
 * or a result's `requestState` (the server's `input_required`) replaced by its digest; anything
 * else returned as it is. The original is not touched.
 */
export function messageWithRequestStateDigest(message: unknown): unknown {
  if (!isRecord(message)) return message;
  if (isRecord(message.result) && typeof message.result.requestState === 'string') return { ...message, result: withRequestStateDigest(message.result) };
  if (isRecord(message.params) && typeof message.params.requestState === 'string') return { ...message, params: withRequestStateDigest(message.params) };
  return message;
}

// ---------------------------------------------------------------------------------------------
// cacheScope

/**
 * The methods whose 2026-07-28 results are cacheable and so carry `ttlMs` and `cacheScope` at the
 * top level of the result (the SDK's closed `CACHEABLE_RESULT_METHODS`).
 */
export const CACHEABLE_RESULT_METHODS: readonly string[] = [
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
];

/**
 * Marks a result regate filtered or masked as `cacheScope: "private"`, so no shared cache serves
 * one principal's view to another. Only 2026-era complete results of cacheable methods carry the
 * field (the SDK adds it nowhere else, and 2025 results have no caching hints); others are
 * returned unchanged. A missing `ttlMs` (required beside `cacheScope`) becomes 0, "immediately
 * stale", the SDK's own default.
 */
export function markPrivate(method: string, result: Record<string, unknown>, era: ProtocolEra): Record<string, unknown> {
  if (era !== '2026' || !CACHEABLE_RESULT_METHODS.includes(method)) return result;
  if (result.resultType !== undefined && result.resultType !== 'complete') return result;
  const ttlMs = typeof result.ttlMs === 'number' && Number.isSafeInteger(result.ttlMs) && result.ttlMs >= 0 ? result.ttlMs : 0;
  return { ...result, ttlMs, cacheScope: 'private' };
}
