/**
 * Rebuilds the policy input of a recorded request event, as the gateway built it, for `regate
 * whatif`. Pure. What a transcript cannot give back: request headers (never recorded; policy sees
 * none), tool annotations (from the caller's tools/list cache), redacted argument values (the
 * redaction mark instead), and `session.calls`, which the reader counts from the session's earlier
 * tools/call requests in the same review window (`sessionCalls`).
 */
import type { Principal } from '../../identity/principal.ts';
import { buildPolicyInput, type PolicyInput } from '../../policy/input.ts';
import type { TranscriptEvent } from '../event.ts';
import { isRecord } from '../../util/is-record.ts';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The principal recorded on an event (undefined when the caller was not authenticated). */
export function principalOf(e: TranscriptEvent): Principal | undefined {
  if (e.principal_id === undefined) return undefined;
  return {
    type: e.principal_type === 'app' ? 'app' : 'user',
    id: e.principal_id,
    name: str(e.principal_name),
    tenant: str(e.tenant),
    groups: strings(e.principal_groups),
    roles: strings(e.principal_roles),
    scopes: strings(e.principal_scopes),
    client_id: str(e.principal_client_id),
    issuer: str(e.principal_issuer),
    expires_at: 0,
  };
}

/** The policy input of a request event (kind `request`), with `sessionCalls` earlier tools/calls in its session. */
export function inputOfRequest(e: TranscriptEvent, sessionCalls: number): PolicyInput {
  const params = isRecord(e.params) ? e.params : undefined;
  const message: Record<string, unknown> = { jsonrpc: '2.0', method: e.method ?? '' };
  if (e.message_id !== undefined) message['id'] = e.message_id;
  if (params !== undefined) message['params'] = params;
  else if (e.method === 'tools/call') message['params'] = { name: e.tool ?? '', arguments: e.arguments ?? {} };
  return buildPolicyInput({
    principal: principalOf(e),
    connection: { name: e.connection, tags: strings(e.connection_tags) },
    message,
    direction: e.direction ?? 'client_to_server',
    session: { id: e.session_id, calls: sessionCalls },
    http: { method: str(e.http_method) || 'POST', path: str(e.http_path) || `/mcp/${e.connection}`, remote_addr: str(e.remote_addr), headers: {} },
    now: new Date(e.time),
    ...(e.protocol_version !== undefined ? { protocolVersion: e.protocol_version } : {}),
  });
}
