/**
 * Transcript events and call records for recording tests: built by the real event builders from
 * call records shaped as the pipeline makes them.
 */
import { createEventBuilders } from '../../src/audit/build-events.ts';
import type { TranscriptEvent } from '../../src/audit/event.ts';
import type { CallRecord } from '../../src/pipeline/call-record.ts';
import { connectionSchema } from '../../src/config/schema.ts';

export const CLIENT_BEARER = 'Bearer eyJhbGciOiJSUzI1NiJ9.client-token-canary.sig';
export const UPSTREAM_CREDENTIAL = 'Bearer upstream-credential-canary';

/** A tools/call record as the pipeline builds it, with a decision and secrets in its headers. */
export function callRecord(n: number, args: Record<string, unknown> = { id: n }, decision: Partial<NonNullable<CallRecord['decision']>> = {}): CallRecord {
  return {
    callId: `call-${n}`,
    direction: 'client_to_server',
    exchange: {
      requestId: `req-${n}`,
      connection: connectionSchema.parse({ name: 'crm', url: 'http://127.0.0.1:3901/mcp', headers: { Authorization: UPSTREAM_CREDENTIAL }, tags: ['pii'] }),
      sessionId: 'session-1',
      era: '2025',
      protocolVersion: '2025-06-18',
      principal: {
        type: 'user', id: 'oid-1', name: 'ada@example.com', tenant: 'tenant-1', groups: ['g-sales'], roles: ['Reader'],
        scopes: ['mcp.call'], client_id: 'agent-app', issuer: 'https://login.example/tenant-1/v2.0', expires_at: 2_000_000_000,
      },
      http: { method: 'POST', path: '/mcp/crm', remoteAddress: '127.0.0.1', headers: { authorization: CLIENT_BEARER, 'mcp-session-id': 'session-1' } },
      signal: new AbortController().signal,
    },
    message: { jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'get_customer', arguments: args } },
    method: 'tools/call',
    tool: 'get_customer',
    decision: {
      allow: true, reason: 'sales may read customers', rule: 'crm.allow_read', outcome: 'allow', revision: 'rev-1',
      decision_id: `dec-${n}`, duration_us: 42, ...decision,
    },
    enforced: true,
    masked: {},
    exposed: {},
    eventIds: [],
    timings: { receivedNs: process.hrtime.bigint() },
  };
}

/** `count` events (request, decision, response per call) as one pipeline would record them. */
export function sampleEvents(count: number, maxContentBytes = 64 * 1024): TranscriptEvent[] {
  const b = createEventBuilders({ maxContentBytes });
  const out: TranscriptEvent[] = [];
  for (let n = 0; out.length < count; n++) {
    const r = callRecord(n);
    out.push(...b.requestEvents(r), b.responseEvent(r, { jsonrpc: '2.0', id: n, result: { content: [{ type: 'text', text: `customer ${n}` }] } }, 80));
  }
  return out.slice(0, count);
}
