/**
 * The one catalogue of regate errors. Every error regate raises or reports carries a stable
 * `REGATE_ERR_*` code; the code labels metrics and log lines, and maps to an HTTP status and a
 * JSON-RPC error code so that the same failure looks the same on every surface.
 *
 * Add entries here (never throw strings, never invent codes inline). Keep messages short and
 * actionable: they reach agents and operators verbatim.
 */

import { capText } from './text/cap.ts';

/** JSON-RPC 2.0 reserved codes, plus regate's server-defined range (-32000 .. -32099). */
export const JsonRpcCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  upstreamUnavailable: -32001,
  upstreamTimeout: -32002,
  policyDenied: -32003,
  unauthorized: -32004,
  tooLarge: -32005,
  unavailable: -32006,
  /** MCP 2026-07-28 (SEP-2243) HeaderMismatch: an `Mcp-*` header disagrees with the body. */
  headerMismatch: -32020,
  /** A per-principal or per-connection limit is reached; retry after `Retry-After`. */
  limitReached: -32007,
} as const;

interface Entry {
  readonly status: number;
  readonly rpc: number;
  readonly message: string;
}

export const catalogue = {
  // --- configuration / start-up
  REGATE_ERR_CONFIG_INVALID: { status: 500, rpc: JsonRpcCode.internalError, message: 'invalid configuration' },
  REGATE_ERR_CONFIG_READ: { status: 500, rpc: JsonRpcCode.internalError, message: 'cannot read configuration file' },
  REGATE_ERR_CONFIG_ENV: { status: 500, rpc: JsonRpcCode.internalError, message: 'environment variable referenced by configuration is not set' },
  REGATE_ERR_WORKERS_CRASHING: { status: 500, rpc: JsonRpcCode.internalError, message: 'regate workers keep crashing; the gateway stopped' },

  // --- inbound HTTP / JSON-RPC
  REGATE_ERR_UNKNOWN_CONNECTION: { status: 404, rpc: JsonRpcCode.invalidRequest, message: 'no MCP connection with this name is configured' },
  REGATE_ERR_NOT_FOUND: { status: 404, rpc: JsonRpcCode.invalidRequest, message: 'not found' },
  REGATE_ERR_MALFORMED_PATH: { status: 400, rpc: JsonRpcCode.invalidRequest, message: 'the request path is not valid percent-encoding' },
  REGATE_ERR_METHOD_NOT_ALLOWED: { status: 405, rpc: JsonRpcCode.invalidRequest, message: 'HTTP method not allowed on this route' },
  REGATE_ERR_BODY_TIMEOUT: { status: 408, rpc: JsonRpcCode.invalidRequest, message: 'request body arrived too slowly; send it at once' },
  REGATE_ERR_BODY_TOO_LARGE: { status: 413, rpc: JsonRpcCode.tooLarge, message: 'request body exceeds the configured limit' },
  REGATE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, rpc: JsonRpcCode.invalidRequest, message: 'request body must be application/json' },
  REGATE_ERR_PARSE: { status: 400, rpc: JsonRpcCode.parseError, message: 'request body is not valid JSON' },
  REGATE_ERR_TOO_DEEP: { status: 400, rpc: JsonRpcCode.invalidRequest, message: 'request body is nested too deeply' },
  REGATE_ERR_INVALID_REQUEST: { status: 400, rpc: JsonRpcCode.invalidRequest, message: 'not a valid JSON-RPC 2.0 message' },
  REGATE_ERR_BATCH_TOO_LARGE: { status: 400, rpc: JsonRpcCode.invalidRequest, message: 'JSON-RPC batch has too many messages' },
  REGATE_ERR_UNKNOWN_SSE_SESSION: { status: 404, rpc: JsonRpcCode.invalidRequest, message: 'unknown or expired SSE session; open GET /sse/{connection} again' },
  REGATE_ERR_HEADER_MISMATCH: { status: 400, rpc: JsonRpcCode.headerMismatch, message: 'the request headers and body disagree' },
  REGATE_ERR_ENVELOPE_INVALID: { status: 400, rpc: JsonRpcCode.invalidParams, message: 'the request _meta envelope (MCP 2026-07-28) is missing or malformed' },
  REGATE_ERR_SHUTTING_DOWN: { status: 503, rpc: JsonRpcCode.unavailable, message: 'regate is shutting down; retry on another instance' },
  REGATE_ERR_RESERVED_NAME: { status: 400, rpc: JsonRpcCode.invalidRequest, message: 'the upstream used a name regate reserves for its own requests to clients' },
  REGATE_ERR_UNKNOWN_SESSION: { status: 404, rpc: JsonRpcCode.invalidRequest, message: 'session not found; initialize a new session' },
  REGATE_ERR_LIMIT_PRINCIPAL_REQUESTS: { status: 429, rpc: JsonRpcCode.limitReached, message: 'too many concurrent requests for this principal (limits.per_principal.max_concurrent_requests); retry later' },
  REGATE_ERR_LIMIT_PRINCIPAL_STREAMS: { status: 429, rpc: JsonRpcCode.limitReached, message: 'too many open streams for this principal (limits.per_principal.max_streams); close one first' },
  REGATE_ERR_LIMIT_PRINCIPAL_SESSIONS: { status: 429, rpc: JsonRpcCode.limitReached, message: 'too many sessions for this principal (limits.per_principal.max_sessions); end one with DELETE first' },
  REGATE_ERR_LIMIT_CONNECTION_REQUESTS: { status: 429, rpc: JsonRpcCode.limitReached, message: 'this connection has too many upstream requests in flight (limits.per_connection.max_upstream_requests); retry later' },
  REGATE_ERR_LIMIT_CONNECTION_STREAMS: { status: 429, rpc: JsonRpcCode.limitReached, message: 'this connection has too many open streams (limits.per_connection.max_streams); retry later' },
  REGATE_ERR_HOLD_INTERRUPTED: { status: 503, rpc: JsonRpcCode.unavailable, message: 'regate stopped while this call was held, so the call was not made; retry it (on another instance)' },

  // --- upstream
  REGATE_ERR_UPSTREAM_UNREACHABLE: { status: 502, rpc: JsonRpcCode.upstreamUnavailable, message: 'upstream MCP server is unreachable' },
  REGATE_ERR_UPSTREAM_TIMEOUT: { status: 504, rpc: JsonRpcCode.upstreamTimeout, message: 'upstream MCP server did not answer in time' },
  REGATE_ERR_UPSTREAM_PROTOCOL: { status: 502, rpc: JsonRpcCode.upstreamUnavailable, message: 'upstream MCP server sent a response regate cannot parse' },
  REGATE_ERR_UPSTREAM_AUTH: { status: 502, rpc: JsonRpcCode.upstreamUnavailable, message: "upstream MCP server refused the gateway's credential; an operator must fix the connection's headers" },
  REGATE_ERR_UPSTREAM_STATUS: { status: 502, rpc: JsonRpcCode.upstreamUnavailable, message: 'upstream MCP server answered with an error' },
  REGATE_ERR_UPSTREAM_ORIGIN: { status: 502, rpc: JsonRpcCode.upstreamUnavailable, message: 'upstream MCP server pointed regate at another origin; refused so the gateway credential stays with the configured server' },
  REGATE_ERR_UPSTREAM_TOO_LARGE: { status: 502, rpc: JsonRpcCode.upstreamUnavailable, message: 'upstream response exceeds the configured limit' },

  // --- authentication (identity/): 401 = present a better token, 403 = token lacks a permission,
  // 503 = regate could not check the token right now (key set or Graph unreachable), retry later.
  REGATE_ERR_AUTH_MISSING: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'a bearer token is required in the Authorization header' },
  REGATE_ERR_AUTH_QUERY_TOKEN: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'access tokens are accepted only in the Authorization header, never in the query string' },
  REGATE_ERR_AUTH_MALFORMED: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the bearer token is not a well-formed signed JWT' },
  REGATE_ERR_AUTH_ALG_NOT_ALLOWED: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token is signed with an algorithm regate does not accept' },
  REGATE_ERR_AUTH_UNKNOWN_KID: { status: 401, rpc: JsonRpcCode.unauthorized, message: "the token's signing key is not in the issuer's key set" },
  REGATE_ERR_AUTH_SIGNATURE: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token signature is invalid' },
  REGATE_ERR_AUTH_EXPIRED: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token has expired; get a new one' },
  REGATE_ERR_AUTH_NOT_YET_VALID: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token is not valid yet (nbf in the future)' },
  REGATE_ERR_AUTH_AUDIENCE: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token was issued for another audience' },
  REGATE_ERR_AUTH_ISSUER: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token was issued by an issuer regate does not trust' },
  REGATE_ERR_AUTH_TENANT: { status: 401, rpc: JsonRpcCode.unauthorized, message: "the token's tenant is not allowed" },
  REGATE_ERR_AUTH_CLAIMS: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the token lacks a required claim or has an unusable one' },
  REGATE_ERR_AUTH_GROUPS_OVERAGE: { status: 401, rpc: JsonRpcCode.unauthorized, message: "the token's groups did not fit in it and groups overage resolution is disabled" },
  REGATE_ERR_AUTH_INSUFFICIENT_SCOPE: { status: 403, rpc: JsonRpcCode.unauthorized, message: 'the token lacks a required scope or app role' },
  REGATE_ERR_AUTH_KEYS_UNAVAILABLE: { status: 503, rpc: JsonRpcCode.unavailable, message: "the issuer's signing keys could not be fetched; retry later" },
  REGATE_ERR_AUTH_GROUPS_UNAVAILABLE: { status: 503, rpc: JsonRpcCode.unavailable, message: "the caller's group memberships could not be resolved through Microsoft Graph; retry later" },

  // --- policy bundles (refusals of a bundle; the previous policy stays active)
  REGATE_ERR_BUNDLE_ARCHIVE: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle is not a readable gzip tar archive' },
  REGATE_ERR_BUNDLE_TOO_LARGE: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle exceeds the size limit' },
  REGATE_ERR_BUNDLE_FORMAT: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle content is malformed' },
  REGATE_ERR_BUNDLE_NO_POLICY: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle has no WebAssembly policy for regate/decision; build it with opa build -t wasm -e regate/decision' },
  REGATE_ERR_BUNDLE_UNSIGNED: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle is not signed but verification is required' },
  REGATE_ERR_BUNDLE_SIGNATURE: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle signature is not valid' },
  REGATE_ERR_BUNDLE_DIGEST: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle file does not match its signed digest' },
  REGATE_ERR_BUNDLE_UNSIGNED_FILE: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle contains a file that its signature does not cover' },
  REGATE_ERR_BUNDLE_FILE_MISSING: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy bundle lacks a file that its signature covers' },
  REGATE_ERR_BUNDLE_KEY: { status: 500, rpc: JsonRpcCode.internalError, message: 'bundle verification key cannot be used' },
  REGATE_ERR_BUNDLE_FETCH: { status: 503, rpc: JsonRpcCode.unavailable, message: 'policy bundle could not be fetched' },

  // --- policy evaluation
  REGATE_ERR_POLICY_DENIED: { status: 403, rpc: JsonRpcCode.policyDenied, message: 'request refused' },
  REGATE_ERR_POLICY_LOAD: { status: 500, rpc: JsonRpcCode.internalError, message: 'policy WebAssembly module cannot be loaded' },
  REGATE_ERR_POLICY_EVAL: { status: 500, rpc: JsonRpcCode.policyDenied, message: 'policy evaluation failed, so the request was denied' },
  REGATE_ERR_POLICY_UNDEFINED: { status: 500, rpc: JsonRpcCode.policyDenied, message: 'policy returned no decision, so the request was denied' },
  REGATE_ERR_POLICY_RESULT: { status: 500, rpc: JsonRpcCode.policyDenied, message: 'policy returned a malformed decision, so the request was denied' },
  REGATE_ERR_POLICY_NOT_READY: { status: 503, rpc: JsonRpcCode.unavailable, message: 'no policy is loaded yet; retry shortly' },

  // --- shared state (src/store/)
  REGATE_ERR_STORE_UNAVAILABLE: { status: 503, rpc: JsonRpcCode.unavailable, message: 'shared state store is unavailable; retry shortly' },

  // --- access review, replay, what-if (src/audit/review/)
  REGATE_ERR_REVIEW_SOURCE: { status: 502, rpc: JsonRpcCode.internalError, message: 'recorded transcripts could not be read' },
  // --- session recording (audit/)
  REGATE_ERR_AUDIT_BUFFER: { status: 503, rpc: JsonRpcCode.unavailable, message: 'the call could not be recorded (transcript buffer unavailable or full), so it was refused; retry later' },

  // --- approvals (src/approvals/)
  REGATE_ERR_APPROVAL_NOT_FOUND: { status: 404, rpc: JsonRpcCode.invalidRequest, message: 'no approval request with this id' },
  REGATE_ERR_APPROVAL_FORBIDDEN: { status: 403, rpc: JsonRpcCode.policyDenied, message: 'you may not decide this approval request' },
  REGATE_ERR_APPROVAL_CONFLICT: { status: 409, rpc: JsonRpcCode.invalidRequest, message: 'this approval request can no longer be decided' },
  REGATE_ERR_APPROVAL_CSRF: { status: 403, rpc: JsonRpcCode.invalidRequest, message: 'the form is stale or forged; reload the page and try again' },
  // --- masking (masking/): the caller replaces the message with an error reply; nothing unmasked passes
  REGATE_ERR_MASK_LIMIT: { status: 502, rpc: JsonRpcCode.tooLarge, message: 'the response is too large or too deeply nested for regate to mask, so it was withheld; ask for less (a smaller page, a filter, fewer fields)' },
  REGATE_ERR_MASK_OBLIGATION: { status: 500, rpc: JsonRpcCode.internalError, message: 'the policy asked for a mask regate cannot apply (unknown detector, invalid path or custom detector)' },
  REGATE_ERR_APPROVAL_SIGNIN_STATE: { status: 400, rpc: JsonRpcCode.invalidRequest, message: 'this sign-in answer does not belong to a sign-in started in this browser (or it expired); start again' },
  REGATE_ERR_APPROVAL_SIGNIN_REFUSED: { status: 401, rpc: JsonRpcCode.unauthorized, message: 'the identity provider did not sign you in' },
  REGATE_ERR_APPROVAL_SIGNIN_UNAVAILABLE: { status: 503, rpc: JsonRpcCode.unavailable, message: 'the identity provider cannot be reached for sign-in; try again later' },

  // --- internal
  REGATE_ERR_INTERNAL: { status: 500, rpc: JsonRpcCode.internalError, message: 'internal error' },
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof catalogue;

/** Characters of an error's detail kept (see capText). */
const DETAIL_LIMIT = 500;

/** An error with a stable code; `detail` says what exactly went wrong (safe to show the caller). */
export class RegateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly rpc: number;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry: Entry = catalogue[code];
    // Details often quote the network (a method name, a header): capped so an error stays small.
    if (detail !== undefined) detail = capText(detail, DETAIL_LIMIT);
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = 'RegateError';
    this.code = code;
    this.status = entry.status;
    this.rpc = entry.rpc;
    this.detail = detail;
  }
}

/** Narrows anything thrown to a RegateError, wrapping the unknown as REGATE_ERR_INTERNAL. */
export function asRegateError(err: unknown, fallback: ErrorCode = 'REGATE_ERR_INTERNAL'): RegateError {
  if (err instanceof RegateError) return err;
  const detail = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
  return new RegateError(fallback, detail, { cause: err });
}
