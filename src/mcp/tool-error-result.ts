import type { JSONRPCMessage, RequestId } from './jsonrpc.ts';
import type { ProtocolEra } from '../pipeline/call-record.ts';

/**
 * A `tools/call` result with `isError: true` (what regate answers a tool call it did not make, or
 * whose answer it withheld): `text` for the model, `meta` under `_meta[metaKey]` for people and
 * tools. A 2026-era client refuses a result without its `resultType`.
 */
export function toolErrorResult(id: RequestId, text: string, era: ProtocolEra, metaKey: string, meta: Record<string, unknown>): JSONRPCMessage {
  return { jsonrpc: '2.0', id, result: { ...(era === '2026' ? { resultType: 'complete' } : {}), content: [{ type: 'text', text }], isError: true, _meta: { [metaKey]: meta } } } as JSONRPCMessage;
}
