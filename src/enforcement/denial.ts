import type { PolicyDecision } from '../policy/decision.ts';
import { JsonRpcCode } from '../errors.ts';
import { capText } from '../text/cap.ts';
import type { JSONRPCMessage, RequestId } from '../mcp/jsonrpc.ts';
import type { ProtocolEra } from '../pipeline/call-record.ts';
import { toolErrorResult } from '../mcp/tool-error-result.ts';

/**
 * How a refused request is answered, in words an agent can act on. `tools/call` gets a tool result
 * with `isError: true` (MCP's channel for errors the model should see and adapt to); every other
 * request gets a JSON-RPC error. Both keep the request id and carry the rule and decision id so a
 * human can find the decision in the logs. A 2026-era result says it is complete (`resultType`),
 * which the v2 client requires of every result in that era.
 */
export function denialReply(id: RequestId, method: string, toolName: string | undefined, d: PolicyDecision, era: ProtocolEra = '2025'): JSONRPCMessage {
  const text = denialText(method, toolName, d);
  const meta = { rule: d.rule, decision_id: d.decision_id, revision: d.revision, outcome: d.outcome };
  if (method === 'tools/call') return toolErrorResult(id, text, era, 'regate/decision', meta);
  return {
    jsonrpc: '2.0',
    id,
    error: { code: JsonRpcCode.policyDenied, message: text, data: { code: 'REGATE_ERR_POLICY_DENIED', ...meta } },
  } as JSONRPCMessage;
}

/** The sentence the agent reads. */
export function denialText(method: string, toolName: string | undefined, d: PolicyDecision): string {
  const what = method === 'tools/call' && toolName ? `the call to tool "${capText(toolName)}"` : `this ${capText(method)} request`;
  if (d.outcome === 'approval' && d.approval) {
    return (
      `regate policy requires human approval for ${what}: ${d.approval.reason} ` +
      `(approvers: ${d.approval.approvers.join(', ')}). Approvals are not enabled on this gateway, so the call was not made; ` +
      `ask an operator, or use a read-only alternative. [rule ${d.rule}, decision ${d.decision_id}]`
    );
  }
  return `regate policy denied ${what}: ${d.reason} [rule ${d.rule}, decision ${d.decision_id}]`;
}
