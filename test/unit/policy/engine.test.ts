import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegateError } from '../../../src/errors.ts';
import { readBundle } from '../../../src/policy/bundle/read-bundle.ts';
import { FAIL_CLOSED_RULE } from '../../../src/policy/decision.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { buildBundle, FIXTURE_REGO, scratch } from '../../fixtures/policy/bundles.ts';
import { replaceFile } from '../../fixtures/policy/tarball.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const reader = {
  type: 'user', id: 'dev-user', name: 'Dev User', tenant: 'dev', groups: ['mcp-readers'], roles: [], scopes: [],
  client_id: 'dev', issuer: 'urn:regate:dev', expires_at: 2_000_000_000,
};

function input(mcp: object, principal: object | null = reader): object {
  return {
    ...(principal ? { principal } : {}),
    connection: { name: 'crm', tags: [] },
    mcp,
    session: { id: 's-1', calls: 0 },
    http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: {} },
    time: { rfc3339: '2025-01-01T00:00:00.000Z', unix_ns: 1735689600000000000 },
  };
}

const call = (tool: string, args: object = {}) => input({ method: 'tools/call', tool: { name: tool, arguments: args } });

describe('policy engine: evaluating regate/decision in WASM', function () {
  this.timeout(30_000);
  let dir: string;
  let dispose: () => Promise<void>;
  let engine: PolicyEngine;
  const fixtures: Record<string, Buffer> = {};

  before(async () => {
    ({ dir, dispose } = await scratch());
    const [main, undef, conflict, malformed, malformedAlways] = await Promise.all([
      buildBundle(dir, { revision: 'rev-main' }),
      buildBundle(dir, { source: join(FIXTURE_REGO, 'undefined'), revision: 'rev-undefined' }),
      buildBundle(dir, { source: join(FIXTURE_REGO, 'conflict'), revision: 'rev-conflict' }),
      buildBundle(dir, { source: join(FIXTURE_REGO, 'malformed'), revision: 'rev-malformed' }),
      buildBundle(dir, { source: join(FIXTURE_REGO, 'malformed-always'), revision: 'rev-malformed-always' }),
    ]);
    Object.assign(fixtures, { main, undef, conflict, malformed, malformedAlways });
    engine = await PolicyEngine.fromBundle(await readBundle(main));
  });
  after(() => dispose());

  describe('with the default policy', () => {
    const table: [name: string, input: () => object, rule: string, outcome: string][] = [
      ['allows a read-only tool for a reader', () => call('list_customers'), 'regate.tools.read_only', 'allow'],
      ['asks approval for a destructive tool', () => call('delete_customer', { id: 'cus_001' }), 'regate.tools.destructive', 'approval'],
      ['denies an unknown tool', () => call('format_disk'), 'regate.tools.unknown', 'deny'],
      ['allows initialize', () => input({ method: 'initialize', params: {} }), 'regate.protocol.plumbing', 'allow'],
      ['denies without a principal', () => input({ method: 'ping' }, null), 'regate.auth.unauthenticated', 'deny'],
    ];
    for (const [name, make, rule, outcome] of table) {
      it(name, () => {
        const d = engine.evaluate(make());
        assert.equal(d.rule, rule);
        assert.equal(d.outcome, outcome);
        assert.equal(d.allow, outcome === 'allow');
        assert.ok(d.reason.length > 10);
      });
    }

    it('stamps every decision with the bundle revision, a fresh UUID and its duration', () => {
      const a = engine.evaluate(call('list_customers'));
      const b = engine.evaluate(call('list_customers'));
      assert.equal(a.revision, 'rev-main');
      assert.match(a.decision_id, UUID);
      assert.notEqual(a.decision_id, b.decision_id);
      assert.ok(a.duration_us > 0);
      assert.equal(engine.revision, 'rev-main');
      assert.equal(engine.signed, false);
    });

    it('returns the obligations of the decision (approval, mask, audit)', () => {
      const del = engine.evaluate(call('delete_customer'));
      assert.deepEqual(del.approval, {
        approvers: ['mcp-approvers'],
        min_approvals: 1,
        ttl_seconds: 900,
        reason: del.approval?.reason,
      });
      const list = engine.evaluate(call('list_customers'));
      assert.ok(list.mask?.some((m) => 'path' in m && m.path === '$.structuredContent.customers[*].card_number' && m.style === 'last4'));
      assert.ok(list.mask?.some((m) => 'detector' in m && m.detector === 'credit_card'));
      assert.deepEqual(list.audit?.labels, { connection: 'crm', tool: 'list_customers', class: 'read_only' });
    });

    it('takes arguments of any shape, including unicode and large ones', () => {
      const d = engine.evaluate(call('search_customers', { query: 'ünïcödé 😀 '.repeat(2000), nested: { a: [1, 2, { b: null }] } }));
      assert.equal(d.outcome, 'allow');
    });
  });

  describe('failing closed', () => {
    it('denies when the policy is undefined for the input', async () => {
      const e = await PolicyEngine.fromBundle(await readBundle(fixtures['undef']!));
      const d = e.evaluate({ decide: false });
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.outcome, 'deny');
      assert.equal(d.error?.code, 'REGATE_ERR_POLICY_UNDEFINED');
      assert.match(d.reason, /returned no decision/);
      assert.equal(e.evaluate({ decide: true }).rule, 'test.only_when_asked');
    });

    it('denies when the policy hits a runtime error, and keeps working afterwards', async () => {
      const e = await PolicyEngine.fromBundle(await readBundle(fixtures['conflict']!));
      const d = e.evaluate({ a: true, b: true });
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.error?.code, 'REGATE_ERR_POLICY_EVAL');
      assert.match(d.error?.detail ?? '', /conflict/);
      assert.equal(e.evaluate({ a: true }).rule, 'test.a');
      assert.equal(e.stats().failures, 1);
    });

    it('denies when the decision does not match the contract', async () => {
      const e = await PolicyEngine.fromBundle(await readBundle(fixtures['malformed']!));
      const d = e.evaluate({ mcp: { method: 'ping' } });
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.error?.code, 'REGATE_ERR_POLICY_RESULT');
      assert.match(d.error?.detail ?? '', /allow/);
      assert.equal(e.evaluate({}).rule, 'test.fine');
    });

    it('denies an input that cannot be serialised where the policy reads it', async () => {
      const cyclic: unknown[] = [];
      cyclic.push(cyclic);
      const d = engine.evaluate({ principal: { id: 'a', groups: cyclic } });
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.error?.code, 'REGATE_ERR_POLICY_EVAL');
      assert.equal(engine.evaluate({ session: { calls: 10n } }).rule, FAIL_CLOSED_RULE);
      // Without a projection, anywhere in the input.
      const whole = await PolicyEngine.fromBundle(await readBundle(fixtures['main']!), { projectInput: false });
      const self: Record<string, unknown> = {};
      self['self'] = self;
      assert.equal(whole.evaluate(self).rule, FAIL_CLOSED_RULE);
      assert.equal(whole.evaluate({ big: 10n }).rule, FAIL_CLOSED_RULE);
    });

    it('denies an input too large for the memory cap, then decides normally again', async () => {
      const e = await PolicyEngine.fromBundle(await readBundle(fixtures['main']!), { maxMemoryBytes: 4 * 1024 * 1024 });
      // The tool name is among the paths the policy reads, so it reaches the WASM memory.
      const d = e.evaluate(call('x'.repeat(8 * 1024 * 1024)));
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.error?.code, 'REGATE_ERR_POLICY_EVAL');
      assert.equal(e.evaluate(call('list_customers')).rule, 'regate.tools.read_only');
    });
  });

  describe('memory', () => {
    it('gives memory back after a large input by recreating the instance', async () => {
      const e = await PolicyEngine.fromBundle(await readBundle(fixtures['main']!), { resetGrowthBytes: 2 * 1024 * 1024 });
      const before = e.stats().memoryBytes;
      e.evaluate(call('x'.repeat(3 * 1024 * 1024)));
      assert.equal(e.stats().resets, 1);
      assert.equal(e.stats().memoryBytes, before);
      assert.equal(e.evaluate(call('list_customers')).outcome, 'allow');
    });

    it('stays at the same WASM memory size over many evaluations (no growth on the fast path)', () => {
      const { memoryBytes, resets } = engine.stats();
      for (let i = 0; i < 2000; i++) engine.evaluate(call('search_customers', { query: `q${i}`.repeat(100) }));
      assert.equal(engine.stats().memoryBytes, memoryBytes);
      assert.equal(engine.stats().resets, resets);
    });
  });

  describe('loading', () => {
    it('refuses a policy that returns a malformed decision even for an empty input', async () => {
      await assert.rejects(PolicyEngine.fromBundle(await readBundle(fixtures['malformedAlways']!)), (err: unknown) => {
        assert.ok(err instanceof RegateError);
        assert.equal(err.code, 'REGATE_ERR_POLICY_LOAD');
        assert.match(err.message, /malformed decision for an empty input/);
        return true;
      });
    });

    it('refuses a policy that fails on an empty input', async () => {
      // Both rules apply to an input without `a` and `b`: a conflict only evaluation can find.
      await mkdir(join(dir, 'empty-conflict'));
      await writeFile(join(dir, 'empty-conflict', 'policy.rego'), [
        'package regate',
        'decision := {"allow": true, "rule": "a", "reason": "a"} if not input.a',
        'decision := {"allow": false, "rule": "b", "reason": "b"} if not input.b',
        '',
      ].join('\n\n'));
      const bundle = await buildBundle(dir, { source: join(dir, 'empty-conflict'), revision: 'empty-conflict' });
      await assert.rejects(PolicyEngine.fromBundle(await readBundle(bundle)), (err: unknown) => {
        assert.ok(err instanceof RegateError);
        assert.equal(err.code, 'REGATE_ERR_POLICY_LOAD');
        assert.match(err.message, /fails on an empty input: .*conflict/);
        return true;
      });
    });

    it('refuses a policy.wasm that does not compile', async () => {
      const bad = replaceFile(fixtures['main']!, 'policy.wasm', () => Buffer.from('\0asm not really'));
      await assert.rejects(PolicyEngine.fromBundle(await readBundle(bad)), (err: unknown) => {
        assert.ok(err instanceof RegateError);
        assert.equal(err.code, 'REGATE_ERR_POLICY_LOAD');
        assert.match(err.message, /does not compile/);
        return true;
      });
    });
  });
});
