/**
 * The MCP 2026-07-28 standard request headers (SEP-2243): `MCP-Protocol-Version`, `Mcp-Method`,
 * `Mcp-Name` and `Mcp-Param-{Name}`. They mirror body fields so that intermediaries and upstreams
 * can route without reading the body; regate decides on the body, so it (a) computes the headers
 * it sends upstream from the message it forwards, never copying the client's, and (b) refuses a
 * client request whose headers say something else than its body (400 / -32020), exactly where
 * the v2 SDK's server refuses one. Rules, encodings and comparisons mirror the SDK's
 * `mcpParamHeaders.ts` and `inboundClassification.ts`; the unit tests hold them to it.
 *
 * Pure: no HTTP. Header names are compared case-insensitively (callers pass Node's lowercase
 * `IncomingHttpHeaders`).
 */
import { RegateError } from '../errors.ts';
import type { JSONRPCMessage } from './jsonrpc.ts';
import type { ProtocolEra } from '../pipeline/call-record.ts';
import { PROTOCOL_VERSION_META_KEY, classifyEra, stripOws, type EraFacts } from './era.ts';
import { isRecord } from '../util/is-record.ts';

export const MCP_PROTOCOL_VERSION_HEADER = 'MCP-Protocol-Version';
export const MCP_METHOD_HEADER = 'Mcp-Method';
export const MCP_NAME_HEADER = 'Mcp-Name';
export const MCP_PARAM_HEADER_PREFIX = 'Mcp-Param-';
/** The schema extension a tool's `inputSchema` property carries to be mirrored into a header. */
export const X_MCP_HEADER_KEY = 'x-mcp-header';

/** Which body field `Mcp-Name` mirrors, per method (SEP-2243, plus SEP-2663's tasks rows, as the SDK). */
export const MCP_NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/**
 * True for the headers regate computes itself and therefore never copies from the client
 * (`Mcp-Session-Id` is not one of them: it is the 2025 session and has its own handling).
 */
export function isComputedMcpHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'mcp-protocol-version' || n === 'mcp-method' || n === 'mcp-name' || n.startsWith('mcp-param-');
}

// ---------------------------------------------------------------------------------------------
// x-mcp-header declarations

/** One tool parameter mirrored into `Mcp-Param-{headerName}`. */
export interface HeaderParam {
  /** Property path under `arguments` (a chain of `properties` keys). */
  readonly path: readonly string[];
  readonly headerName: string;
  readonly type: 'string' | 'integer' | 'boolean' | 'number';
}

/** A tool's header parameters, or why its declarations are invalid (the v2 client then drops the tool). */
export type HeaderParamsScan = { readonly ok: true; readonly params: readonly HeaderParam[] } | { readonly ok: false; readonly reason: string };

/** Looks up the header parameters regate learned for a tool of the connection (undefined: unknown tool). */
export type ToolHeaderParams = (toolName: string) => readonly HeaderParam[] | undefined;

const RFC9110_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PERMITTED_TYPES = new Set(['string', 'integer', 'boolean']);
/** Subschema positions a header chain must not pass through (static reachability, SEP-2243). */
const NON_REACHABLE = [
  'items', 'prefixItems', 'contains', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'propertyNames',
  'patternProperties', 'dependentSchemas', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions',
];
const OBJECT_VALUED = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);

/** The `x-mcp-header` parameters a tool (from `tools/list`) declares, validated as the SDK does. */
export function headerParamsOf(tool: { readonly inputSchema?: unknown }): HeaderParamsScan {
  const params: HeaderParam[] = [];
  const seen = new Map<string, string>();
  let numberFault: string | undefined;
  const where = (path: readonly string[]) => (path.length === 0 ? '<root>' : path.join('.'));
  const visit = (node: unknown, path: string[], reachable: boolean): string | undefined => {
    if (!isRecord(node)) return undefined;
    if (X_MCP_HEADER_KEY in node) {
      if (!reachable || path.length === 0) return `${where(path)}: x-mcp-header is only permitted on properties reachable through 'properties' alone`;
      const raw = node[X_MCP_HEADER_KEY];
      if (typeof raw !== 'string' || raw.length === 0) return `${where(path)}: x-mcp-header must be a non-empty string`;
      if (!RFC9110_TOKEN.test(raw)) return `${where(path)}: x-mcp-header '${raw}' is not an RFC 9110 token`;
      const type = typeof node.type === 'string' ? node.type : undefined;
      if (type === undefined || !PERMITTED_TYPES.has(type)) {
        const fault = `${where(path)}: x-mcp-header is only permitted on string, integer or boolean properties; got ${type ?? '<none>'}`;
        if (type !== 'number') return fault;
        numberFault ??= fault;
      }
      const lower = raw.toLowerCase();
      const prior = seen.get(lower);
      if (prior !== undefined) return `x-mcp-header '${raw}' is not case-insensitively unique (also declared as '${prior}')`;
      seen.set(lower, raw);
      params.push({ path, headerName: raw, type: type as HeaderParam['type'] });
    }
    if (isRecord(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) {
        const fault = visit(child, [...path, key], reachable);
        if (fault !== undefined) return fault;
      }
    }
    for (const k of NON_REACHABLE) {
      const sub = node[k];
      if (sub === undefined) continue;
      const branches = Array.isArray(sub) ? sub : isRecord(sub) && OBJECT_VALUED.has(k) ? Object.values(sub) : [sub];
      for (const branch of branches) {
        const fault = visit(branch, [...path, `<${k}>`], false);
        if (fault !== undefined) return fault;
      }
    }
    return undefined;
  };
  const fault = visit(tool.inputSchema, [], true) ?? numberFault;
  return fault === undefined ? { ok: true, params } : { ok: false, reason: fault };
}

/**
 * The header parameters of every valid tool in a `tools/list` result, by tool name; tools without
 * any are included with an empty list, so "known, no headers" differs from "unknown".
 */
export function headerParamsFromToolsList(result: unknown): Map<string, readonly HeaderParam[]> {
  const out = new Map<string, readonly HeaderParam[]>();
  const tools = isRecord(result) && Array.isArray(result.tools) ? result.tools : [];
  for (const tool of tools) {
    if (!isRecord(tool) || typeof tool.name !== 'string') continue;
    const scan = headerParamsOf(tool);
    if (scan.ok) out.set(tool.name, scan.params);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CANONICAL_DECIMAL = /^-?\d+(\.\d+)?$/;

/** The spec's string form of a primitive argument; undefined when no header may carry it. */
export function paramValueString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
    return String(value);
  }
  return undefined;
}

/**
 * Encodes a value as an HTTP field value: plain when it is safe visible ASCII, else
 * `=?base64?{base64 of UTF-8}?=` (also for empty values, edge whitespace, and values that already
 * look like the sentinel), as the SDK client does.
 */
export function encodeHeaderValue(value: string): string {
  return needsBase64(value) ? `${SENTINEL_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${SENTINEL_SUFFIX}` : value;
}

function needsBase64(s: string): boolean {
  if (s.length === 0) return true;
  if (s.startsWith(SENTINEL_PREFIX) && s.endsWith(SENTINEL_SUFFIX)) return true;
  if (s !== s.trim()) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 9 && (c < 32 || c > 126)) return true;
  }
  return false;
}

/** Decodes a header value (undoing the Base64 sentinel); undefined when the sentinel's payload is not canonical Base64 UTF-8. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))) return value;
  const b64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!BASE64_CANONICAL.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** `Mcp-Name`'s body field and its string value for a method (value undefined when absent). */
export function mcpNameSource(method: string, params: unknown): { field: string; value: string | undefined } | undefined {
  const field = Object.hasOwn(MCP_NAME_SOURCE, method) ? MCP_NAME_SOURCE[method] : undefined;
  if (field === undefined) return undefined;
  const raw = isRecord(params) ? params[field] : undefined;
  return { field, value: typeof raw === 'string' ? raw : undefined };
}

// ---------------------------------------------------------------------------------------------
// (a) headers regate sends upstream

export interface UpstreamHeaderOptions {
  readonly era: ProtocolEra;
  /**
   * The negotiated version for 2025 messages (from the client's header after initialize). For
   * 2026 messages the forwarded body's envelope names it; this is the fallback for a 2026
   * notification without one.
   */
  readonly protocolVersion: string | undefined;
  readonly headerParams: ToolHeaderParams;
}

/**
 * The `MCP-*` headers to send upstream with one forwarded message, computed from that message.
 * 2025: only `MCP-Protocol-Version` (when negotiated); no 2026 header ever goes on a 2025
 * exchange. 2026 requests: version (from the envelope), `Mcp-Method`, `Mcp-Name` (encoded like a
 * parameter) and one `Mcp-Param-{Name}` per declared parameter whose argument is a primitive
 * (null or absent arguments get no header); an unknown tool gets none, and the upstream's -32020
 * makes the v2 client re-list tools (which teaches regate) and retry. 2026 notifications:
 * version and `Mcp-Method`, so an envelope-less notification still classifies as modern.
 */
export function upstreamMcpHeaders(message: JSONRPCMessage, options: UpstreamHeaderOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const m = message as Record<string, unknown>;
  if (options.era === '2025' || typeof m.method !== 'string') {
    if (options.protocolVersion !== undefined) out[MCP_PROTOCOL_VERSION_HEADER] = options.protocolVersion;
    return out;
  }
  const params = m.params;
  const claimed = isRecord(params) && isRecord(params._meta) ? params._meta[PROTOCOL_VERSION_META_KEY] : undefined;
  const version = typeof claimed === 'string' ? claimed : options.protocolVersion;
  if (version !== undefined) out[MCP_PROTOCOL_VERSION_HEADER] = version;
  out[MCP_METHOD_HEADER] = m.method;
  if (!('id' in m)) return out;
  const name = mcpNameSource(m.method, params);
  if (name?.value !== undefined) out[MCP_NAME_HEADER] = encodeHeaderValue(name.value);
  if (m.method === 'tools/call' && name?.value !== undefined) {
    const args = isRecord(params) ? params.arguments : undefined;
    for (const decl of options.headerParams(name.value) ?? []) {
      const raw = valueAtPath(args, decl.path);
      if (raw === undefined || raw === null) continue;
      const s = paramValueString(raw);
      if (s !== undefined) out[`${MCP_PARAM_HEADER_PREFIX}${decl.headerName}`] = encodeHeaderValue(s);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (b) client headers against the body

/** Which header disagrees with the body, and how. */
export interface HeaderMismatch {
  /** The header's canonical name (`Mcp-Param-Region`, ...). */
  readonly header: string;
  readonly problem: 'missing' | 'mismatch' | 'invalid-encoding';
  /** Safe to show the client: names the header and both values. */
  readonly detail: string;
}

/** Request headers as Node gives them: lowercase names, arrays for repeated headers. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  // A repeated header is one field value joined with ", " (RFC 9110), which then fails to match.
  const joined = Array.isArray(v) ? v.join(', ') : (v as string | undefined);
  return joined === undefined ? undefined : stripOws(joined);
}

/**
 * Checks a 2026-era client message's `Mcp-*` headers against its body, in the SDK server's order:
 * `MCP-Protocol-Version` and `Mcp-Method` disagreeing, then (requests only) `MCP-Protocol-Version`
 * missing, `Mcp-Method` missing, `Mcp-Name` missing / badly encoded / disagreeing, then each
 * declared `Mcp-Param-*` missing / badly encoded / disagreeing (integers and numbers compare as
 * numbers, so `42.0` matches 42). Returns the first problem, or undefined when they agree.
 * Never called for 2025 messages (the SDK does not enforce these headers there either).
 */
export function checkClientMcpHeaders(message: JSONRPCMessage, headers: HeaderBag, headerParams: ToolHeaderParams): HeaderMismatch | undefined {
  const m = message as Record<string, unknown>;
  if (typeof m.method !== 'string') return undefined;
  const method = m.method;
  const params = m.params;
  const version = header(headers, MCP_PROTOCOL_VERSION_HEADER);
  const claimed = isRecord(params) && isRecord(params._meta) ? params._meta[PROTOCOL_VERSION_META_KEY] : undefined;
  if (version !== undefined && typeof claimed === 'string' && version !== claimed) {
    return mismatch(MCP_PROTOCOL_VERSION_HEADER, 'mismatch', `the body envelope names protocol version ${claimed} but the header names ${version}`);
  }
  const methodHeader = header(headers, MCP_METHOD_HEADER);
  if (methodHeader !== undefined && methodHeader !== method) {
    return mismatch(MCP_METHOD_HEADER, 'mismatch', `the body names method ${method} but the header names ${methodHeader}`);
  }
  if (!('id' in m)) return undefined;
  if (version === undefined) return mismatch(MCP_PROTOCOL_VERSION_HEADER, 'missing', 'the header is required on every 2026-07-28 request');
  if (methodHeader === undefined) return mismatch(MCP_METHOD_HEADER, 'missing', `the body names method ${method} but the header is absent`);

  const source = mcpNameSource(method, params);
  if (source !== undefined) {
    const nameHeader = header(headers, MCP_NAME_HEADER);
    if (nameHeader === undefined) {
      if (source.value !== undefined) {
        return mismatch(MCP_NAME_HEADER, 'missing', `the body carries params.${source.field}=${JSON.stringify(source.value)} but the header is absent`);
      }
    } else {
      const decoded = decodeHeaderValue(nameHeader);
      if (decoded === undefined) return mismatch(MCP_NAME_HEADER, 'invalid-encoding', 'the header carries an invalid Base64 sentinel value');
      if (source.value !== undefined && decoded !== source.value) {
        return mismatch(MCP_NAME_HEADER, 'mismatch', `the body carries params.${source.field}=${JSON.stringify(source.value)} but the header names ${JSON.stringify(decoded)}`);
      }
    }
  }

  if (method !== 'tools/call' || source?.value === undefined) return undefined;
  const args = isRecord(params) ? params.arguments : undefined;
  for (const decl of headerParams(source.value) ?? []) {
    const name = `${MCP_PARAM_HEADER_PREFIX}${decl.headerName}`;
    const raw = valueAtPath(args, decl.path);
    if (raw === undefined || raw === null) continue;
    const bodyString = paramValueString(raw);
    if (bodyString === undefined) continue;
    const value = header(headers, name);
    if (value === undefined) return mismatch(name, 'missing', `the body carries ${decl.path.join('.')}=${JSON.stringify(raw)} but the header is absent`);
    const decoded = decodeHeaderValue(value);
    if (decoded === undefined) return mismatch(name, 'invalid-encoding', 'the header carries an invalid Base64 sentinel value');
    const numeric = (decl.type === 'integer' || decl.type === 'number') && typeof raw === 'number' && CANONICAL_DECIMAL.test(decoded);
    if (numeric ? Number(decoded) !== raw : decoded !== bodyString) {
      return mismatch(name, 'mismatch', `the header decodes to ${JSON.stringify(decoded)} but the body carries ${decl.path.join('.')}=${JSON.stringify(raw)}`);
    }
  }
  return undefined;
}

function mismatch(header: string, problem: HeaderMismatch['problem'], what: string): HeaderMismatch {
  return { header, problem, detail: `${header}: ${what}` };
}

/** The catalogue error for a header mismatch: HTTP 400, JSON-RPC -32020, naming the header. */
export function headerMismatchError(m: HeaderMismatch): RegateError {
  return new RegateError('REGATE_ERR_HEADER_MISMATCH', m.detail);
}

// ---------------------------------------------------------------------------------------------
// both, in the SDK server's order

export interface InboundInput {
  readonly httpMethod: string;
  /** The parsed JSON body: one message or a batch. */
  readonly body: unknown;
  readonly headers: HeaderBag;
  readonly headerParams: ToolHeaderParams;
  /** Told the era before the headers are checked, so a refusal can still be recorded in it. */
  readonly onEra?: (facts: EraFacts) => void;
}

/**
 * Classifies an inbound request's era (classifyEra) and, for a 2026 message, checks its `Mcp-*`
 * headers against its body; throws the catalogue error a refusal needs
 * (REGATE_ERR_ENVELOPE_INVALID, REGATE_ERR_HEADER_MISMATCH, REGATE_ERR_INVALID_REQUEST).
 */
export function classifyInbound(input: InboundInput): EraFacts {
  const facts = classifyEra({ httpMethod: input.httpMethod, body: input.body, protocolVersionHeader: header(input.headers, MCP_PROTOCOL_VERSION_HEADER) });
  input.onEra?.(facts);
  if (facts.era === '2026' && isRecord(input.body)) {
    const m = checkClientMcpHeaders(input.body as JSONRPCMessage, input.headers, input.headerParams);
    if (m !== undefined) throw headerMismatchError(m);
  }
  return facts;
}
