/**
 * Which MCP era a client request speaks, and what it says about the client, decided from the body
 * with the `MCP-Protocol-Version` header only as a cross-check (body-primary, like the v2 SDK's
 * `classifyInboundRequest`, whose rules this mirrors: regate cannot import the SDK at run time,
 * and the unit tests hold this classifier to the SDK's answers).
 *
 * - 2025 era: `initialize` and its session; no per-request envelope.
 * - 2026-07-28 era: every request carries the `_meta` envelope
 *   (`io.modelcontextprotocol/protocolVersion`, `.../clientCapabilities`, optional `.../clientInfo`);
 *   the envelope's presence is the claim.
 *
 * Pure: no HTTP; the caller passes the method, the parsed body and the version header.
 */
import { RegateError } from '../errors.ts';
import type { ProtocolEra } from '../pipeline/call-record.ts';
import { isRecord } from '../util/is-record.ts';

export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_INFO_META_KEY = 'io.modelcontextprotocol/clientInfo';
export const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';
/** The first revision of the stateless era; every later revision is that era too. */
export const FIRST_MODERN_PROTOCOL_VERSION = '2026-07-28';

/** True for 2026-07-28 and later revisions (date strings compare in order, as in the SDK). */
export function isModernProtocolVersion(version: string): boolean {
  return version >= FIRST_MODERN_PROTOCOL_VERSION;
}

/** What a request says about its client: the policy input's `mcp.client`. */
export interface ClientFacts {
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly capabilities: Readonly<Record<string, unknown>> | undefined;
}

/** Why a message got its era (the SDK's route reasons, plus `envelope` for a claim). */
export type EraReason = 'envelope' | 'modern-header' | 'initialize' | 'no-claim' | 'notification' | 'response' | 'batch' | 'http-method';

export interface EraFacts {
  readonly era: ProtocolEra;
  readonly reason: EraReason;
  /** `_meta` claim, initialize's `protocolVersion`, or the header; undefined when none says. */
  readonly protocolVersion: string | undefined;
  /** From the envelope (2026) or initialize params (2025); undefined on other 2025 messages. */
  readonly client: ClientFacts | undefined;
}

export interface EraInput {
  /** The HTTP method (GET/DELETE are 2025 session operations). */
  readonly httpMethod: string;
  /** The parsed JSON body (one message or a batch array); undefined for body-less methods. */
  readonly body: unknown;
  /** The client's `MCP-Protocol-Version` header, if any. */
  readonly protocolVersionHeader: string | undefined;
}

/**
 * Classifies one inbound HTTP request's era, or throws a RegateError the client can act on:
 * REGATE_ERR_ENVELOPE_INVALID (400/-32602) for a present but malformed envelope or a modern
 * version header on a request without one, REGATE_ERR_HEADER_MISMATCH (400/-32020) when the
 * version header disagrees with the body, REGATE_ERR_INVALID_REQUEST for a batch holding a
 * 2026 message (the era has no batches). The same outcomes the SDK's server ladder gives.
 */
export function classifyEra(input: EraInput): EraFacts {
  const header = input.protocolVersionHeader === undefined ? undefined : stripOws(input.protocolVersionHeader);
  if (input.httpMethod.toUpperCase() !== 'POST') return legacy('http-method', header);
  const body = input.body;
  if (Array.isArray(body)) {
    if (body.some((m) => isRecord(m) && hasClaim(m.params))) {
      throw new RegateError('REGATE_ERR_INVALID_REQUEST', 'JSON-RPC batches may not contain requests for protocol revision 2026-07-28 or later');
    }
    return legacy('batch', header);
  }
  if (!isRecord(body) || typeof body.method !== 'string') return legacy('response', header);
  const isRequest = 'id' in body;
  const params = body.params;
  const headerIsModern = header !== undefined && isModernProtocolVersion(header);

  if (isRequest && body.method === 'initialize' && !carriesValidModernClaim(params)) {
    if (headerIsModern) {
      throw new RegateError('REGATE_ERR_HEADER_MISMATCH', `MCP-Protocol-Version: an initialize request (2025 handshake) was sent with the modern header ${header}`);
    }
    const p = isRecord(params) ? params : {};
    return {
      era: '2025',
      reason: 'initialize',
      protocolVersion: typeof p.protocolVersion === 'string' ? p.protocolVersion : undefined,
      client: clientFacts(p.clientInfo, p.capabilities),
    };
  }

  const meta = metaOf(params);
  if (meta !== undefined && PROTOCOL_VERSION_META_KEY in meta) {
    const claimed = meta[PROTOCOL_VERSION_META_KEY];
    // A request's envelope must be whole; a notification's only needs its version (SDK rule).
    const issue = isRequest ? envelopeIssue(meta) : typeof claimed === 'string' ? undefined : `${PROTOCOL_VERSION_META_KEY}: expected a protocol version string`;
    if (issue !== undefined) throw new RegateError('REGATE_ERR_ENVELOPE_INVALID', issue);
    const version = claimed as string;
    if (header !== undefined && header !== version) {
      throw new RegateError('REGATE_ERR_HEADER_MISMATCH', `MCP-Protocol-Version: the body envelope names protocol version ${version} but the header names ${header}`);
    }
    // The envelope is the stateless era's mechanism whatever revision it names (the SDK routes
    // it to its modern path too, which answers -32022 for a revision it does not serve).
    return {
      era: '2026',
      reason: 'envelope',
      protocolVersion: version,
      client: clientFacts(meta[CLIENT_INFO_META_KEY], meta[CLIENT_CAPABILITIES_META_KEY]),
    };
  }

  if (headerIsModern) {
    // Notifications carry no envelope of their own: for them the modern header decides.
    if (!isRequest) return { era: '2026', reason: 'modern-header', protocolVersion: header, client: undefined };
    const missing = meta === undefined ? ['_meta'] : [PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY].filter((k) => !(k in meta));
    throw new RegateError(
      'REGATE_ERR_ENVELOPE_INVALID',
      `the MCP-Protocol-Version header names ${header}, but the request lacks the envelope key(s): ${missing.join(', ')}`,
    );
  }
  return legacy(isRequest ? 'no-claim' : 'notification', header);
}

function legacy(reason: EraReason, header: string | undefined): EraFacts {
  return { era: '2025', reason, protocolVersion: header, client: undefined };
}

/** The first problem with a 2026 request envelope (the SDK's `RequestMetaEnvelopeSchema` rules), or undefined. */
function envelopeIssue(meta: Record<string, unknown>): string | undefined {
  if (typeof meta[PROTOCOL_VERSION_META_KEY] !== 'string') return `${PROTOCOL_VERSION_META_KEY}: expected a protocol version string`;
  if (!(CLIENT_CAPABILITIES_META_KEY in meta)) return `${CLIENT_CAPABILITIES_META_KEY}: missing`;
  if (!isRecord(meta[CLIENT_CAPABILITIES_META_KEY])) return `${CLIENT_CAPABILITIES_META_KEY}: expected an object`;
  const info = meta[CLIENT_INFO_META_KEY];
  if (info !== undefined && !(isRecord(info) && typeof info.name === 'string' && typeof info.version === 'string')) {
    return `${CLIENT_INFO_META_KEY}: expected {name, version} strings`;
  }
  return undefined;
}

/** Only a well-formed modern claim turns `initialize` into a (modern, unknown) method. */
function carriesValidModernClaim(params: unknown): boolean {
  const meta = metaOf(params);
  if (meta === undefined) return false;
  const claimed = meta[PROTOCOL_VERSION_META_KEY];
  return typeof claimed === 'string' && isModernProtocolVersion(claimed) && envelopeIssue(meta) === undefined;
}

function hasClaim(params: unknown): boolean {
  const meta = metaOf(params);
  return meta !== undefined && PROTOCOL_VERSION_META_KEY in meta;
}

function metaOf(params: unknown): Record<string, unknown> | undefined {
  if (!isRecord(params)) return undefined;
  return isRecord(params._meta) ? params._meta : undefined;
}

function clientFacts(info: unknown, capabilities: unknown): ClientFacts | undefined {
  const i = isRecord(info) ? info : {};
  const name = typeof i.name === 'string' ? i.name : undefined;
  const version = typeof i.version === 'string' ? i.version : undefined;
  const caps = isRecord(capabilities) ? capabilities : undefined;
  if (name === undefined && version === undefined && caps === undefined) return undefined;
  return { name, version, capabilities: caps };
}

/** RFC 9110 optional whitespace around a field value. */
export function stripOws(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

