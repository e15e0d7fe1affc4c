import assert from 'node:assert/strict';
import { argumentDigest, redactArguments, REDACTED } from '../../../src/approvals/arguments.ts';
import { cancel, effective, expire, isRefusal, use, vote, type ApprovalRecord, type Transition, type Voter } from '../../../src/approvals/record.ts';
import { approvalView } from '../../../src/approvals/view.ts';

const T0 = 1_800_000_000_000;
const alice: Voter = { id: 'alice', name: 'Alice', groups: ['mcp-readers'] };
const bob: Voter = { id: 'bob', name: 'Bob', groups: ['mcp-approvers'] };
const carol: Voter = { id: 'carol', name: 'Carol', groups: ['sec-approvers', 'x'] };
const dave: Voter = { id: 'dave', name: 'Dave', groups: ['mcp-readers'] };
/** Alice, also an approver: still may not approve her own call. */
const aliceApprover: Voter = { ...alice, groups: ['mcp-approvers'] };

function pending(over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    v: 1,
    id: 'A'.repeat(43),
    status: 'pending',
    mode: 'hold',
    requester: { id: 'alice', name: 'Alice', type: 'user', tenant: 't' },
    connection: 'crm',
    tool: 'delete_customer',
    digest: argumentDigest({ id: 'c-1' }),
    arguments: { id: 'c-1' },
    reason: 'destructive',
    rule: 'regate.tools.destructive',
    revision: 'r1',
    decision_id: 'd1',
    approvers: ['mcp-approvers', 'sec-approvers'],
    min_approvals: 1,
    justification: 'none given',
    created_at: T0,
    expires_at: T0 + 300_000,
    grant_ttl_ms: 900_000,
    max_uses: 1,
    uses: 0,
    votes: [],
    updated_at: T0,
    ...over,
  };
}

const ok = (t: Transition): ApprovalRecord => {
  if (isRefusal(t)) assert.fail(`refused: ${t.why}`);
  return t.record;
};
const refusal = (t: Transition) => (isRefusal(t) ? t.refused : 'accepted');

describe('approval lifecycle (pure transitions)', () => {
  describe('vote', () => {
    const cases: Array<{ name: string; record: ApprovalRecord; voter: Voter; decision: 'approve' | 'deny'; at?: number; expect: string; status?: string }> = [
      { name: 'an approver approves a pending request', record: pending(), voter: bob, decision: 'approve', expect: 'accepted', status: 'approved' },
      { name: 'an approver denies it', record: pending(), voter: bob, decision: 'deny', expect: 'accepted', status: 'denied' },
      { name: 'a member of the second approver group counts', record: pending(), voter: carol, decision: 'approve', expect: 'accepted', status: 'approved' },
      { name: 'the requester may not approve her own call', record: pending(), voter: alice, decision: 'approve', expect: 'forbidden' },
      { name: 'not even when she is an approver', record: pending(), voter: aliceApprover, decision: 'approve', expect: 'forbidden' },
      { name: 'a non-approver may not decide', record: pending(), voter: dave, decision: 'approve', expect: 'forbidden' },
      { name: 'nor deny', record: pending(), voter: dave, decision: 'deny', expect: 'forbidden' },
      { name: 'a decided request takes no second decision', record: pending({ status: 'approved', votes: [] }), voter: carol, decision: 'deny', expect: 'conflict' },
      { name: 'a denied request stays denied', record: pending({ status: 'denied' }), voter: bob, decision: 'approve', expect: 'conflict' },
      { name: 'an expired request cannot be approved', record: pending(), voter: bob, decision: 'approve', at: T0 + 300_000, expect: 'conflict' },
      { name: 'a cancelled request cannot be approved', record: pending({ status: 'cancelled', ended: 'hung up' }), voter: bob, decision: 'approve', expect: 'conflict' },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const t = vote(c.record, c.voter, c.decision, 'ok', c.at ?? T0 + 1000);
        assert.equal(refusal(t), c.expect);
        if (c.status !== undefined) assert.equal(ok(t).status, c.status);
      });
    }

    it('min_approvals counts distinct people, and one person votes once', () => {
      const two = pending({ min_approvals: 2 });
      const first = ok(vote(two, bob, 'approve', undefined, T0 + 1));
      assert.equal(first.status, 'pending');
      assert.equal(refusal(vote(first, bob, 'approve', undefined, T0 + 2)), 'conflict');
      const second = ok(vote(first, carol, 'approve', 'fine', T0 + 3));
      assert.equal(second.status, 'approved');
      assert.equal(second.grant_expires_at, T0 + 3 + 900_000);
      assert.deepEqual(second.votes.map((v) => [v.id, v.groups]), [['bob', ['mcp-approvers']], ['carol', ['sec-approvers']]]);
    });

    it('a denial by any approver is final even after an approval vote', () => {
      const first = ok(vote(pending({ min_approvals: 2 }), bob, 'approve', undefined, T0 + 1));
      const denied = ok(vote(first, carol, 'deny', 'no', T0 + 2));
      assert.equal(denied.status, 'denied');
      assert.equal(refusal(vote(denied, { id: 'erin', name: 'E', groups: ['mcp-approvers'] }, 'approve', undefined, T0 + 3)), 'conflict');
    });
  });

  describe('use (spending a grant)', () => {
    const approved = ok(vote(pending({ max_uses: 2 }), bob, 'approve', undefined, T0 + 1));
    const same = { principal: 'alice', connection: 'crm', tool: 'delete_customer', digest: argumentDigest({ id: 'c-1' }) };
    const cases: Array<{ name: string; record: ApprovalRecord; call: typeof same; at?: number; expect: string }> = [
      { name: 'the identical call rides', record: approved, call: same, expect: 'accepted' },
      { name: 'different arguments never ride', record: approved, call: { ...same, digest: argumentDigest({ id: 'c-2' }) }, expect: 'forbidden' },
      { name: 'another caller never rides', record: approved, call: { ...same, principal: 'dave' }, expect: 'forbidden' },
      { name: 'another tool never rides', record: approved, call: { ...same, tool: 'update_customer_tier' }, expect: 'forbidden' },
      { name: 'another connection never rides', record: approved, call: { ...same, connection: 'hr' }, expect: 'forbidden' },
      { name: 'a pending request is not a grant', record: pending(), call: same, expect: 'conflict' },
      { name: 'a grant past its ttl is expired', record: approved, call: same, at: T0 + 1 + 900_000, expect: 'conflict' },
    ];
    for (const c of cases) it(c.name, () => assert.equal(refusal(use(c.record, c.call, c.at ?? T0 + 10)), c.expect));

    it('a grant is used at most max_uses times, then it is used', () => {
      const once = ok(use(approved, same, T0 + 10));
      assert.deepEqual([once.status, once.uses], ['approved', 1]);
      const twice = ok(use(once, same, T0 + 11));
      assert.deepEqual([twice.status, twice.uses], ['used', 2]);
      assert.equal(refusal(use(twice, same, T0 + 12)), 'conflict');
    });
  });

  describe('cancel and expire', () => {
    it('the requester hanging up cancels a pending request, which then cannot be approved', () => {
      const c = ok(cancel(pending(), 'the requester hung up', T0 + 5));
      assert.deepEqual([c.status, c.ended], ['cancelled', 'the requester hung up']);
      assert.equal(refusal(vote(c, bob, 'approve', undefined, T0 + 6)), 'conflict');
    });
    it('cancel leaves a decided request alone', () => {
      const t = cancel(pending({ status: 'denied' }), 'x', T0 + 5);
      assert.equal(ok(t).status, 'denied');
      assert.equal(isRefusal(t) ? true : t.changed, false);
    });
    it('a pending request past its expiry reads and writes as expired', () => {
      assert.equal(effective(pending(), T0 + 299_999).status, 'pending');
      assert.equal(effective(pending(), T0 + 300_000).status, 'expired');
      const t = expire(pending(), T0 + 300_000);
      assert.equal(ok(t).status, 'expired');
      assert.equal(isRefusal(t) ? false : t.changed, true);
    });
  });

  describe('arguments', () => {
    it('the digest ignores key order and spacing but not values', () => {
      assert.equal(argumentDigest({ a: 1, b: [1, 2] }), argumentDigest(JSON.parse('{ "b": [1,2], "a": 1 }')));
      assert.notEqual(argumentDigest({ a: 1 }), argumentDigest({ a: 2 }));
      assert.match(argumentDigest(undefined), /^[0-9a-f]{64}$/);
    });
    it('redacts the decision paths, and everything when a path is not understood', () => {
      assert.deepEqual(redactArguments({ q: 'secret', n: 1, rows: [{ ssn: 'x', k: 1 }] }, ['$.q', '$.rows[*].ssn']), { q: REDACTED, n: 1, rows: [{ ssn: REDACTED, k: 1 }] });
      // The one evaluator of redact_arguments (the transcript's): `..` is understood, a filter is not.
      assert.deepEqual(redactArguments({ q: 'x', n: { q: 'y' } }, ['$..q']), { q: REDACTED, n: { q: REDACTED } });
      assert.deepEqual(redactArguments({ q: 'x' }, ['$[?(@.q)]']), REDACTED);
      assert.deepEqual(redactArguments({ q: 'x' }, undefined), { q: 'x' });
    });
  });
});

describe("approval view: the requester's session", () => {
  it('says a session was recorded, but never shows its id to another principal', () => {
    const withSession = approvalView(pending({ session_id: 'sess-of-alice' }), bob, 'https://regate.example.com/approvals');
    assert.equal(withSession.session_recorded, true);
    assert.equal(JSON.stringify(withSession).includes('sess-of-alice'), false);
    assert.equal(approvalView(pending(), bob, 'https://regate.example.com/approvals').session_recorded, false);
  });
});
