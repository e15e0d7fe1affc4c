/**
 * Builds the policy input of DESIGN.md from one client->server MCP message (or one HTTP-level
 * operation) and its context. Pure: everything, the clock included, comes in as arguments.
 *
 *   { principal, connection {name, tags},
 *     mcp {direction, protocol_version, client {name, version, capabilities}, method, id, params,
 *          tool {name, arguments, annotations},
 *          resource {uri}, prompt {name, arguments}},
 *     session {id, calls}, http {method, path, remote_addr, headers}, time {rfc3339, unix_ns},
 *     approval }
 *
 * Choices a policy author should know:
 * - `mcp.method` is the JSON-RPC method; a client's response to a server request is `rpc/response`;
 *   an HTTP GET stream is `http/get_stream` and a session DELETE is `http/delete_session`.
 * - tools/call and prompts/get arguments appear once, under `mcp.tool.arguments` /
 *   `mcp.prompt.arguments`, and are left out of `mcp.params`: parsing them twice inside the WASM
 *   policy doubled the cost of large arguments.
 * - `mcp.tool.annotations` come from the caller's tools/list cache (absent when unknown); they are
 *   the upstream server's claims, not facts.
 * - only allow-listed HTTP headers are included (never Authorization or Cookie), keys lower-case.
 * - `mcp.client` is what the request says about its client: the `_meta` envelope of every 2026-era
 *   request, or `initialize`'s params in the 2025 era (absent on other 2025 messages). It is the
 *   client's claim, not a fact.
 * - `time.unix_ns` is a JSON number, so it is exact only to ~256 ns; WASM has no clock of its own.
 */
import type { Principal } from '../identity/principal.ts';
import { isRecord } from '../util/is-record.ts';

/** Headers handed to policy unless the caller passes its own list. */
export const DEFAULT_HEADER_ALLOWLIST: readonly string[] = [
  'user-agent',
  'mcp-protocol-version',
  'mcp-session-id',
  'last-event-id',
  'content-type',
  'accept',
  'origin',
  'x-request-id',
  // Not x-forwarded-for: anyone can send it. http.remote_addr is the client address, taken from
  // X-Forwarded-For only when the peer is a trusted proxy (listen.trusted_proxies).
  'traceparent',
];

/** Never handed to policy, even when allow-listed by mistake: they carry credentials. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** HTTP operations without a JSON-RPC message, and the method name policy sees for them. */
export const HTTP_OPERATION_METHODS = {
  open_stream: 'http/get_stream',
  delete_session: 'http/delete_session',
} as const;
export type HttpOperation = keyof typeof HTTP_OPERATION_METHODS;

/** Method name policy sees for a client's JSON-RPC response (to a server's request). */
export const RESPONSE_METHOD = 'rpc/response';

/** MCP tool annotations (spec: ToolAnnotations); all optional hints. */
export interface ToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
  readonly [key: string]: unknown;
}

/** An approval the proxy presents when it re-checks a call a human approved. */
export interface ApprovalInput {
  readonly id: string;
  readonly status: 'pending' | 'approved' | 'denied' | 'expired';
  /** The tool the approval was granted for. */
  readonly tool: string;
  readonly approved_by: readonly { readonly id: string; readonly groups: readonly string[] }[];
  /** Expiry, nanoseconds since the epoch. */
  readonly expires_unix_ns: number;
  readonly [key: string]: unknown;
}

export interface InputContext {
  /** Undefined when the caller is not authenticated (the policy then denies). */
  readonly principal: Principal | undefined;
  readonly connection: { readonly name: string; readonly tags: readonly string[] };
  /** The parsed JSON-RPC message; absent for an HTTP operation. */
  readonly message?: Readonly<Record<string, unknown>>;
  /** Set instead of `message` for GET streams and session DELETEs. */
  readonly httpOperation?: HttpOperation;
  /** Which way the message travels; a server's request or notification is `server_to_client`. */
  readonly direction?: 'client_to_server' | 'server_to_client';
  /** `calls`: tools/call requests already made in this session, not counting this message. */
  readonly session: { readonly id: string | undefined; readonly calls: number };
  readonly http: {
    readonly method: string;
    readonly path: string;
    readonly remote_addr: string;
    readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  };
  /** Wall-clock time of this decision: a Date, or nanoseconds since the Unix epoch (not process.hrtime). */
  readonly now: Date | bigint;
  /** Negotiated MCP protocol version, when known (else taken from an initialize request). */
  readonly protocolVersion?: string;
  /** What the request says about its client (era.ts ClientFacts), when it says anything. */
  readonly client?: ClientInput;
  /** Annotations of the called tool, from a tools/list cache. */
  readonly toolAnnotations?: ToolAnnotations;
  readonly approval?: ApprovalInput;
  /** Lower-case header names to hand to policy; default DEFAULT_HEADER_ALLOWLIST. */
  readonly headerAllowlist?: readonly string[];
}

/** `input.mcp.client`: the client's own claims (name, version, capabilities), each when given. */
export interface ClientInput {
  readonly name?: string | undefined;
  readonly version?: string | undefined;
  readonly capabilities?: Readonly<Record<string, unknown>> | undefined;
}

export interface PolicyInput {
  readonly principal?: Principal;
  readonly connection: { readonly name: string; readonly tags: readonly string[] };
  readonly mcp: {
    readonly direction: 'client_to_server' | 'server_to_client';
    readonly protocol_version?: string;
    readonly client?: ClientInput;
    readonly method: string;
    readonly id?: string | number;
    readonly params?: Readonly<Record<string, unknown>>;
    readonly tool?: { readonly name: unknown; readonly arguments: unknown; readonly annotations?: ToolAnnotations };
    readonly resource?: { readonly uri: unknown };
    readonly prompt?: { readonly name: unknown; readonly arguments: unknown };
  };
  readonly session: { readonly id?: string; readonly calls: number };
  readonly http: { readonly method: string; readonly path: string; readonly remote_addr: string; readonly headers: Readonly<Record<string, string>> };
  readonly time: { readonly rfc3339: string; readonly unix_ns: number };
  readonly approval?: ApprovalInput;
}

const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe']);


const DEFAULT_ALLOWED: ReadonlySet<string> = new Set(DEFAULT_HEADER_ALLOWLIST);

/** Keeps allow-listed headers only, lower-cased, multi-valued ones joined as HTTP does. */
export function allowlistHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  allowlist: readonly string[] = DEFAULT_HEADER_ALLOWLIST,
): Record<string, string> {
  // Built once for the default list: this runs for every decision.
  const allowed = allowlist === DEFAULT_HEADER_ALLOWLIST ? DEFAULT_ALLOWED : new Set(allowlist.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || !allowed.has(key) || CREDENTIAL_HEADERS.has(key)) continue;
    out[key] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

/** The time object of the input: RFC 3339 (UTC, milliseconds) and nanoseconds since the epoch. */
export function timeInput(now: Date | bigint): { rfc3339: string; unix_ns: number } {
  if (typeof now === 'bigint') {
    return { rfc3339: new Date(Number(now / 1_000_000n)).toISOString(), unix_ns: Number(now) };
  }
  return { rfc3339: now.toISOString(), unix_ns: now.getTime() * 1_000_000 };
}

function without(params: Record<string, unknown>, key: string): Record<string, unknown> {
  if (!(key in params)) return params;
  const { [key]: _omitted, ...rest } = params;
  return rest;
}

/** The `mcp` part of the input for one message or HTTP operation. */
export function mcpInput(ctx: Pick<InputContext, 'message' | 'httpOperation' | 'protocolVersion' | 'toolAnnotations' | 'direction' | 'client'>): PolicyInput['mcp'] {
  const m = ctx.message;
  const direction = ctx.direction ?? 'client_to_server';
  if (ctx.httpOperation !== undefined || m === undefined) {
    const method = ctx.httpOperation ? HTTP_OPERATION_METHODS[ctx.httpOperation] : RESPONSE_METHOD;
    return ctx.protocolVersion !== undefined ? { direction, protocol_version: ctx.protocolVersion, method } : { direction, method };
  }
  const method = typeof m['method'] === 'string' ? m['method'] : RESPONSE_METHOD;
  const params = isRecord(m['params']) ? m['params'] : undefined;
  const protocolVersion =
    ctx.protocolVersion ?? (method === 'initialize' && typeof params?.['protocolVersion'] === 'string' ? params['protocolVersion'] : undefined);
  const out: {
    direction: 'client_to_server' | 'server_to_client';
    protocol_version?: string;
    client?: ClientInput;
    method: string;
    id?: string | number;
    params?: Record<string, unknown>;
    tool?: { name: unknown; arguments: unknown; annotations?: ToolAnnotations };
    resource?: { uri: unknown };
    prompt?: { name: unknown; arguments: unknown };
  } = { direction, method };
  if (protocolVersion !== undefined) out.protocol_version = protocolVersion;
  const client = ctx.client === undefined ? undefined : clientInput(ctx.client);
  if (client !== undefined) out.client = client;
  const id = m['id'];
  if (typeof id === 'string' || typeof id === 'number') out.id = id;
  if (method === 'tools/call' && params !== undefined) {
    out.params = without(params, 'arguments');
    out.tool = { name: params['name'], arguments: params['arguments'] ?? {} };
    if (ctx.toolAnnotations !== undefined) out.tool.annotations = ctx.toolAnnotations;
  } else if (method === 'prompts/get' && params !== undefined) {
    out.params = without(params, 'arguments');
    out.prompt = { name: params['name'], arguments: params['arguments'] ?? {} };
  } else {
    if (params !== undefined) out.params = params;
    if (RESOURCE_METHODS.has(method) && params !== undefined) out.resource = { uri: params['uri'] };
  }
  return out;
}

/** The client facts with absent fields left out (undefined when none is known). */
function clientInput(c: ClientInput): ClientInput | undefined {
  const out: { name?: string; version?: string; capabilities?: Readonly<Record<string, unknown>> } = {};
  if (c.name !== undefined) out.name = c.name;
  if (c.version !== undefined) out.version = c.version;
  if (c.capabilities !== undefined) out.capabilities = c.capabilities;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Builds the policy input for one client->server message or HTTP operation. */
export function buildPolicyInput(ctx: InputContext): PolicyInput {
  return {
    ...(ctx.principal !== undefined ? { principal: ctx.principal } : {}),
    connection: { name: ctx.connection.name, tags: ctx.connection.tags },
    mcp: mcpInput(ctx),
    session: ctx.session.id !== undefined ? { id: ctx.session.id, calls: ctx.session.calls } : { calls: ctx.session.calls },
    http: {
      method: ctx.http.method,
      path: ctx.http.path,
      remote_addr: ctx.http.remote_addr,
      headers: allowlistHeaders(ctx.http.headers, ctx.headerAllowlist),
    },
    time: timeInput(ctx.now),
    ...(ctx.approval !== undefined ? { approval: ctx.approval } : {}),
  };
}
