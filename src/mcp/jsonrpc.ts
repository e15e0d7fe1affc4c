import {
  JSONRPCErrorResponseSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResultResponseSchema,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { RegateError } from '../errors.ts';
import { jsonDepthExceeds } from './depth.ts';
import { isRecord } from '../util/is-record.ts';

export type { JSONRPCMessage };
export type RequestId = string | number;

/** What a JSON-RPC message is, decided once so that later layers never guess. */
export type MessageKind = 'request' | 'notification' | 'response' | 'error';

export interface ParsedBody {
  /** True when the body was a JSON-RPC batch (an array), which the reply must mirror. */
  readonly batch: boolean;
  readonly messages: readonly JSONRPCMessage[];
}

export interface ParseLimits {
  readonly maxDepth: number;
  readonly maxBatch: number;
}

/**
 * Parses and validates an HTTP body as one JSON-RPC message or a batch, using the MCP SDK's own
 * schemas. The original objects are returned (not the schema output) so that forwarding never
 * changes a message's meaning. Anything that does not parse is an error with a stable code.
 */
export function parseJsonRpcBody(text: string, limits: ParseLimits): ParsedBody {
  const value = parseBoundedJson(text, limits.maxDepth);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new RegateError('REGATE_ERR_INVALID_REQUEST', 'empty batch');
    if (value.length > limits.maxBatch) {
      throw new RegateError('REGATE_ERR_BATCH_TOO_LARGE', `${value.length} messages, limit ${limits.maxBatch}`);
    }
    return { batch: true, messages: value.map((m, i) => validateMessage(m, `message ${i}`)) };
  }
  return { batch: false, messages: [validateMessage(value, 'message')] };
}

/** Parses one JSON-RPC message from text (an SSE event's data, or a JSON response body element). */
export function parseJsonRpcText(text: string, maxDepth: number): JSONRPCMessage | JSONRPCMessage[] {
  const value = parseBoundedJson(text, maxDepth);
  if (Array.isArray(value)) return value.map((m, i) => validateMessage(m, `message ${i}`));
  return validateMessage(value, 'message');
}

/** JSON.parse behind the nesting check (a linear scan first, so deep input never reaches the parser). */
function parseBoundedJson(text: string, maxDepth: number): unknown {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new RegateError('REGATE_ERR_TOO_DEEP', `more than ${maxDepth} levels of nesting`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RegateError('REGATE_ERR_PARSE', (err as Error).message);
  }
}

/**
 * Returns the value as a JSON-RPC message or throws REGATE_ERR_INVALID_REQUEST saying why.
 *
 * The SDK's schemas are the authority. Most messages are checked by `wellFormed`, a structural
 * check that accepts only what those schemas accept (it is stricter, never looser), so the common
 * case costs no schema run; anything it does not accept goes through the SDK schema, which either
 * accepts it or produces the error message.
 */
export function validateMessage(value: unknown, label: string): JSONRPCMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RegateError('REGATE_ERR_INVALID_REQUEST', `${label} is not a JSON object`);
  }
  const v = value as Record<string, unknown>;
  if (v.jsonrpc !== '2.0') throw new RegateError('REGATE_ERR_INVALID_REQUEST', `${label}: "jsonrpc" must be "2.0"`);
  if (wellFormed(v)) return value as JSONRPCMessage;
  const schema =
    'method' in v
      ? 'id' in v
        ? JSONRPCRequestSchema
        : JSONRPCNotificationSchema
      : 'error' in v
        ? JSONRPCErrorResponseSchema
        : JSONRPCResultResponseSchema;
  // JSON-RPC 2.0 answers errors it cannot attribute (parse errors) with `id: null`, which the SDK
  // schema does not model; validate the rest of such an error and keep the original.
  const checked = schema === JSONRPCErrorResponseSchema && v.id === null ? { ...v, id: undefined } : value;
  const result = schema.safeParse(checked);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new RegateError('REGATE_ERR_INVALID_REQUEST', `${label}${where}: ${issue?.message ?? 'invalid'}`);
  }
  return value as JSONRPCMessage;
}

const RELATED_TASK = 'io.modelcontextprotocol/related-task';


/** `z.union([z.string(), z.number().int()])` (zod 4's int is a safe integer). */
function isIdLike(v: unknown): boolean {
  return typeof v === 'string' || Number.isSafeInteger(v);
}

/** The SDK's `RequestMetaSchema` for `params._meta` / `result._meta` (loose: other keys allowed). */
function metaOk(meta: unknown): boolean {
  if (meta === undefined) return true;
  if (!isRecord(meta)) return false;
  if (meta.progressToken !== undefined && !isIdLike(meta.progressToken)) return false;
  const task = meta[RELATED_TASK];
  return task === undefined || (isRecord(task) && typeof task.taskId === 'string');
}

/** Params / result objects: a plain object whose `_meta`, if any, is well formed. */
function bodyOk(v: unknown): boolean {
  return isRecord(v) && metaOk(v._meta);
}

/**
 * True only for messages the SDK's strict JSON-RPC schemas accept; false sends the message to the
 * schema itself (which may still accept it, e.g. an error with `id: null`). `jsonrpc` is already
 * known to be "2.0".
 */
function wellFormed(v: Record<string, unknown>): boolean {
  let hasId = false;
  let hasMethod = false;
  let hasParams = false;
  let hasResult = false;
  let hasError = false;
  for (const k in v) {
    switch (k) {
      case 'jsonrpc':
        break;
      case 'id':
        hasId = true;
        break;
      case 'method':
        hasMethod = true;
        break;
      case 'params':
        hasParams = true;
        break;
      case 'result':
        hasResult = true;
        break;
      case 'error':
        hasError = true;
        break;
      default:
        return false; // the schemas are strict: unknown keys are refused there, with their message
    }
  }
  if (hasMethod) {
    if (hasResult || hasError || typeof v.method !== 'string') return false;
    if (hasId && !isIdLike(v.id)) return false;
    return !hasParams || (v.params !== undefined && bodyOk(v.params));
  }
  if (hasParams || !hasId || !isIdLike(v.id)) return false;
  if (hasError) {
    const e = v.error;
    return !hasResult && isRecord(e) && Number.isSafeInteger(e.code) && typeof e.message === 'string';
  }
  return hasResult && bodyOk(v.result);
}

export function kindOf(m: JSONRPCMessage): MessageKind {
  if ('method' in m) return 'id' in m ? 'request' : 'notification';
  return 'error' in m ? 'error' : 'response';
}

/** The id of a request, response or error; undefined for notifications and `id: null` errors. */
export function idOf(m: JSONRPCMessage): RequestId | undefined {
  return 'id' in m && m.id !== null ? (m.id as RequestId | undefined) : undefined;
}

/** Method of a request or notification; undefined for responses. */
export function methodOf(m: JSONRPCMessage): string | undefined {
  return 'method' in m ? m.method : undefined;
}

/** A map key for a request id that keeps `1` and `"1"` apart. */
export function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}

/** Builds a JSON-RPC error response. `id` is null when the request id is unknown (parse errors). */
export function errorResponse(id: RequestId | null | undefined, code: number, message: string, data?: unknown) {
  return {
    jsonrpc: '2.0' as const,
    id: id ?? null,
    error: data === undefined ? { code, message } : { code, message, data },
  };
}

/**
 * Error responses regate built itself (errorResponseFor): an upstream can write a `REGATE_ERR_*`
 * code into its own error, so the code alone does not say whose answer it is (recording asks).
 */
const builtByRegate = new WeakSet<object>();

/** The JSON-RPC error response for a RegateError, carrying its stable code as `data.code`. */
export function errorResponseFor(id: RequestId | null | undefined, err: RegateError) {
  const m = errorResponse(id, err.rpc, err.message, { code: err.code });
  builtByRegate.add(m);
  return m;
}

/** True for an error response errorResponseFor built (not one that only carries the same code). */
export function isRegateErrorResponse(m: object): boolean {
  return builtByRegate.has(m);
}
