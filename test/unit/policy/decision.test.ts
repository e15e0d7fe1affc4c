import assert from 'node:assert/strict';
import { FAIL_CLOSED_RULE, outcomeOf, parseResultSet } from '../../../src/policy/decision.ts';

const ok = { allow: true, reason: 'fine', rule: 'x.allow' };

describe('policy decisions: validating what the policy returned', () => {
  const valid: [name: string, result: object, outcome: string][] = [
    ['an allow', ok, 'allow'],
    ['a deny', { ...ok, allow: false }, 'deny'],
    ['an approval', { ...ok, allow: false, approval: { approvers: ['g'], min_approvals: 1, ttl_seconds: 60, reason: 'r' } }, 'approval'],
    ['an allow with path and detector masks', { ...ok, mask: [{ path: '$.a[*].b', style: 'last4' }, { detector: 'email', style: 'hash' }] }, 'allow'],
    ['an allow with audit obligations', { ...ok, audit: { labels: { k: 'v' }, redact_arguments: ['$.q'] } }, 'allow'],
  ];
  for (const [name, result, outcome] of valid) {
    it(`accepts ${name}`, () => {
      const d = parseResultSet([{ result }]);
      assert.equal(d.rule, (result as { rule: string }).rule);
      assert.equal(outcomeOf(d), outcome);
      assert.equal(d.error, undefined);
    });
  }

  it('lets approval win over allow', () => {
    const d = parseResultSet([{ result: { ...ok, approval: { approvers: ['g'], min_approvals: 1, ttl_seconds: 60, reason: 'r' } } }]);
    assert.equal(d.allow, false);
    assert.equal(outcomeOf(d), 'approval');
  });

  const failing: [name: string, resultSet: unknown, code: string][] = [
    ['an undefined decision', [], 'REGATE_ERR_POLICY_UNDEFINED'],
    ['a result without a value', [{}], 'REGATE_ERR_POLICY_UNDEFINED'],
    ['two results', [{ result: ok }, { result: ok }], 'REGATE_ERR_POLICY_RESULT'],
    ['a non-array result set', { result: ok }, 'REGATE_ERR_POLICY_RESULT'],
    ['a boolean decision', [{ result: true }], 'REGATE_ERR_POLICY_RESULT'],
    ['allow as a string', [{ result: { ...ok, allow: 'true' } }], 'REGATE_ERR_POLICY_RESULT'],
    ['no rule', [{ result: { allow: true, reason: 'r' } }], 'REGATE_ERR_POLICY_RESULT'],
    ['an empty reason', [{ result: { ...ok, reason: '' } }], 'REGATE_ERR_POLICY_RESULT'],
    ['an unknown mask style', [{ result: { ...ok, mask: [{ path: '$.a', style: 'blur' }] } }], 'REGATE_ERR_POLICY_RESULT'],
    ['a mask path that is not a JSON path', [{ result: { ...ok, mask: [{ path: 'a.b', style: 'redact' }] } }], 'REGATE_ERR_POLICY_RESULT'],
    ['an approval without approvers', [{ result: { ...ok, approval: { approvers: [], min_approvals: 1, ttl_seconds: 1, reason: 'r' } } }], 'REGATE_ERR_POLICY_RESULT'],
  ];
  for (const [name, resultSet, code] of failing) {
    it(`fails closed on ${name}`, () => {
      const d = parseResultSet(resultSet);
      assert.equal(d.allow, false);
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.error?.code, code);
      assert.match(d.reason, /denied/);
    });
  }
});
