import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readBundle } from '../../../../src/policy/bundle/read-bundle.ts';
import type { PolicyDecision } from '../../../../src/policy/decision.ts';
import { PolicyEngine } from '../../../../src/policy/engine.ts';
import { buildBundle, FIXTURE_REGO, scratch } from '../../../fixtures/policy/bundles.ts';

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW_NS = 1_748_779_200_000_000_000;

/** Inputs across every branch of the default policy and the fixture, plus junk where policy reads. */
function inputs(count: number, seed: number): object[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = <T>(v: T): T | undefined => (rnd() < 0.8 ? v : undefined);
  /** The first choice with probability p, else any of the others. */
  const mostly = <T,>(p: number, first: T, ...others: readonly T[]): T => (rnd() < p || others.length === 0 ? first : pick(others));
  const tools = ['list_customers', 'get_customer', 'search_customers', 'delete_customer', 'update_customer_tier', 'export_customers_csv', 'drop-table', 'Remove_User', 'zap', '', 'echo', 'get-env'];
  const methods = ['tools/call', 'tools/call', 'tools/call', 'tools/list', 'initialize', 'ping', 'prompts/get', 'resources/read', 'resources/subscribe', 'sampling/createMessage', 'notifications/initialized', 'rpc/response', 'http/get_stream', 'http/delete_session', 'bogus'];
  const out: object[] = [];
  for (let i = 0; i < count; i++) {
    const tool = pick(tools);
    const principal = mostly(0.9, {
      type: pick(['user', 'app']),
      id: mostly<string>(0.9, 'alice', 'bob', '', 'carol'),
      name: 'N',
      groups: pick([['mcp-readers'], ['mcp-approvers'], [], ['mcp-readers', 'mcp-approvers'], ['other']]),
      roles: pick([[], ['mcp-readers']]),
      scopes: [],
    }, undefined);
    const approval = rnd() < 0.4
      ? {
          id: pick(['ap-1', 7]),
          status: mostly<unknown>(0.8, 'approved', 'pending', 'denied', 3),
          tool: mostly<string>(0.8, tool, 'other'),
          approved_by: mostly<object[]>(0.7, [{ id: 'dave', groups: ['mcp-approvers'] }], [], [{ id: 'alice', groups: ['mcp-approvers'] }], [{ id: 'erin', groups: ['x'] }]),
          expires_unix_ns: NOW_NS + mostly<number>(0.8, 1e12, -1e9),
        }
      : undefined;
    out.push({
      ...(principal ? { principal } : {}),
      connection: { name: mostly<string>(0.6, 'crm', 'everything', 'nope'), tags: ['pii'] },
      mcp: {
        protocol_version: '2025-06-18',
        method: mostly<string>(0.4, 'tools/call', ...methods),
        id: i,
        params: { cursor: pick(['a', undefined]) },
        tool: maybe({
          name: maybe(tool),
          arguments: {
            query: pick(['gold', 'DROP TABLE customers', 'x'.repeat(Math.floor(rnd() * 2000))]),
            owner: pick(['alice', 'bob']),
            limit: pick([5, 50, '5']),
          },
          annotations: maybe({ readOnlyHint: pick([true, false]), destructiveHint: pick([true, false, 'yes']) }),
        }),
        prompt: maybe({ name: pick(['summarize_customer', 'simple-prompt', 'evil']) }),
        resource: maybe({ uri: pick(['customers://1', 'demo://readme', 'file:///etc/passwd', 'demo://resource/static/1']) }),
      },
      session: { id: 's', calls: mostly<number>(0.8, 12, 0, 9999, 10000, 20000) },
      http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: { 'user-agent': pick(['agent/1', 'bot/2']) } },
      time: { rfc3339: '2025-06-01T12:00:00.000Z', unix_ns: NOW_NS },
      ...(approval ? { approval } : {}),
    });
  }
  return out;
}

const comparable = ({ allow, rule, reason, approval, mask, audit, outcome, error }: PolicyDecision) => ({ allow, rule, reason, approval, mask, audit, outcome, error });

describe('input projection: projected inputs decide exactly as whole ones', function () {
  this.timeout(120_000);
  let dir: string;
  let dispose: () => Promise<void>;
  before(async () => ({ dir, dispose } = await scratch('regate-projection-')));
  after(() => dispose());

  async function engines(source?: string): Promise<{ projected: PolicyEngine; whole: PolicyEngine }> {
    const bundle = await readBundle(await buildBundle(dir, { ...(source ? { source } : {}), revision: 'projection' }));
    assert.ok(bundle.inputProjection, 'the build records a projection');
    const projected = await PolicyEngine.fromBundle(bundle);
    const whole = await PolicyEngine.fromBundle(bundle, { projectInput: false });
    assert.equal(projected.projected, true);
    assert.equal(whole.projected, false);
    return { projected, whole };
  }

  function compare(e: { projected: PolicyEngine; whole: PolicyEngine }, cases: readonly object[]): Map<string, number> {
    const rules = new Map<string, number>();
    for (const [i, input] of cases.entries()) {
      const a = e.projected.evaluate(input);
      const b = e.whole.evaluate(input);
      assert.deepEqual(comparable(a), comparable(b), `input #${i}: ${JSON.stringify(input).slice(0, 400)}`);
      rules.set(a.rule, (rules.get(a.rule) ?? 0) + 1);
    }
    return rules;
  }

  it('for the default policy, over 3,000 varied inputs reaching every outcome', async () => {
    const rules = compare(await engines(), inputs(3000, 1));
    for (const rule of [
      'regate.tools.read_only', 'regate.tools.destructive', 'regate.tools.approved', 'regate.approval.invalid', 'regate.tools.unknown',
      'regate.tools.denied', 'regate.tools.reader_required', 'regate.protocol.plumbing', 'regate.protocol.unknown_method',
      'regate.prompts.allowed', 'regate.resources.allowed', 'regate.auth.unauthenticated', 'regate.connection.unknown',
      'regate.session.call_limit',
    ]) {
      assert.ok((rules.get(rule) ?? 0) > 0, `no input reached ${rule}: ${JSON.stringify([...rules])}`);
    }
  });

  it('for a policy that reads tool arguments and headers, which the projection therefore keeps', async () => {
    const e = await engines(join(FIXTURE_REGO, 'reads-arguments'));
    const rules = compare(e, inputs(1500, 2));
    for (const rule of ['fixture.sql_in_query', 'fixture.bot', 'fixture.owner', 'fixture.small_page', 'fixture.default']) {
      assert.ok((rules.get(rule) ?? 0) > 0, `no input reached ${rule}: ${JSON.stringify([...rules])}`);
    }
  });
});
