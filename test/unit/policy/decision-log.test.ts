import assert from 'node:assert/strict';
import type { PolicyDecision } from '../../../src/policy/decision.ts';
import { decisionLogRecord } from '../../../src/policy/decision-log.ts';
import { buildPolicyInput } from '../../../src/policy/input.ts';

const input = buildPolicyInput({
  principal: { type: 'user', id: 'dev-user', name: 'Dev', tenant: 'dev', groups: [], roles: [], scopes: [], client_id: 'c', issuer: 'i', expires_at: 0 },
  connection: { name: 'crm', tags: [] },
  message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_customer', arguments: { id: 'cus_001' } } },
  session: { id: 'sess-1', calls: 0 },
  http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: {} },
  now: new Date(0),
});

const decision: PolicyDecision = {
  allow: false, rule: 'regate.fail_closed', reason: 'denied', outcome: 'deny', revision: 'r1',
  decision_id: '6f1c0f53-8d7e-4b8a-9a43-0b0c7f0d2a11', duration_us: 12.345, error: { code: 'REGATE_ERR_POLICY_EVAL', detail: 'x' },
};

describe('policy decision log: one record per evaluation', () => {
  it('names the decision, the rule, the revision, the caller and the tool, never the arguments', () => {
    assert.deepEqual(decisionLogRecord(decision, input), {
      decision_id: decision.decision_id, revision: 'r1', outcome: 'deny', rule: 'regate.fail_closed', reason: 'denied',
      duration_us: 12.3, connection: 'crm', method: 'tools/call', tool: 'get_customer', principal_id: 'dev-user',
      session_id: 'sess-1', error_code: 'REGATE_ERR_POLICY_EVAL',
    });
  });

  it('keeps its fields in the order the log line has always had', () => {
    assert.deepEqual(Object.keys(decisionLogRecord(decision, input, { shadowed: true })), [
      'decision_id', 'revision', 'outcome', 'rule', 'reason', 'duration_us', 'connection', 'method', 'tool', 'principal_id', 'session_id', 'error_code', 'shadowed',
    ]);
  });

  it('marks decisions that shadow mode did not enforce', () => {
    assert.equal(decisionLogRecord(decision, input, { shadowed: true }).shadowed, true);
    assert.equal('shadowed' in decisionLogRecord(decision, input), false);
  });
});
