/**
 * What an approval is bound to and what approvers see of a call's arguments: a digest of their
 * canonical JSON (keys sorted, numbers as written, so key order or spacing never changes it), and
 * a copy with the decision's `audit.redact_arguments` paths replaced.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../policy/bundle/canonical-json.ts';
import { REDACTED, redactPaths } from '../policy/redact-arguments.ts';

/** SHA-256 (hex) of the canonical JSON of `args` (absent arguments digest as `{}`). */
export function argumentDigest(args: unknown): string {
  const text = canonicalJson(JSON.stringify(args ?? {}), 'tool arguments');
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The arguments with each `audit.redact_arguments` path replaced, exactly as the transcript records
 * them (one evaluator for the obligation: src/policy/redact-arguments.ts). A path regate cannot read
 * redacts the whole arguments: showing too little to an approver is safe, showing a secret is not.
 */
export function redactArguments(args: unknown, paths: readonly string[] | undefined): unknown {
  return redactPaths(args ?? {}, paths);
}

/**
 * What an approval binds and shows of a request: a tool call's `arguments`; for other methods
 * (prompts/get, resources/read) their params without the 2026 round-trip fields (`inputResponses`,
 * `requestState`: answers and the server's opaque memory, not what is asked for) and `_meta`.
 */
export function approvalArguments(method: string, params: Record<string, unknown>): unknown {
  if (method === 'tools/call') return params.arguments;
  const { inputResponses: _answers, requestState: _state, _meta, ...asked } = params;
  return asked;
}

export { REDACTED };
