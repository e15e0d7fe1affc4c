import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzePlan } from '../../../../src/policy/projection/analyze-plan.ts';
import { buildPlan, DEFAULT_REGO, scratch } from '../../../fixtures/policy/bundles.ts';

/** Compiles one Rego module (package regate) to a plan with the real opa and analyses it. */
async function analyse(dir: string, rego: string): Promise<ReturnType<typeof analyzePlan>> {
  const src = join(dir, `src-${Math.random().toString(36).slice(2)}`);
  await mkdir(src);
  await writeFile(join(src, 'policy.rego'), `package regate\n\n${rego}\n`);
  return analyzePlan(await buildPlan(dir, src));
}

describe('input projection: what a compiled policy can read (analyzePlan)', function () {
  this.timeout(60_000);
  let dir: string;
  let dispose: () => Promise<void>;
  before(async () => ({ dir, dispose } = await scratch('regate-projection-')));
  after(() => dispose());

  it('keeps exactly the paths the default policy reads', async () => {
    const { projection } = analyzePlan(await buildPlan(dir, DEFAULT_REGO));
    assert.deepEqual(projection, {
      approval: true,
      connection: { name: true },
      mcp: {
        direction: true,
        method: true,
        prompt: { name: true },
        resource: { uri: true },
        tool: { annotations: { destructiveHint: true, readOnlyHint: true }, name: true },
      },
      principal: { groups: true, id: true, roles: true },
      session: { calls: true },
      time: { unix_ns: true },
    });
  });

  it('follows chains of constant keys and keeps the value at the end whole', async () => {
    const r = await analyse(dir, 'decision := {"allow": input.mcp.tool.name == "x", "rule": "r", "reason": "r"}');
    assert.deepEqual(r.projection, { mcp: { tool: { name: true } } });
  });

  it('keeps nothing for a policy that never reads its input', async () => {
    const r = await analyse(dir, 'decision := {"allow": false, "rule": "r", "reason": "constant"}');
    assert.deepEqual(r.projection, {});
  });

  it('keeps a value whole when a builtin receives it', async () => {
    const r = await analyse(dir, 'decision := {"allow": count(input.mcp.tool.arguments) > 2, "rule": input.connection.name, "reason": "r"}');
    assert.deepEqual(r.projection, { connection: { name: true }, mcp: { tool: { arguments: true } } });
  });

  it('keeps a value whole when it is iterated', async () => {
    const r = await analyse(dir, 'decision := {"allow": true, "rule": "r", "reason": "r"} if { some g in input.principal.groups; g == "admins" }');
    assert.deepEqual(r.projection, { principal: { groups: true } });
  });

  it('keeps both sides whole for a computed key', async () => {
    const r = await analyse(dir, 'decision := {"allow": input.mcp.tool.arguments[input.connection.name] == 1, "rule": "r", "reason": "r"}');
    assert.deepEqual(r.projection, { connection: { name: true }, mcp: { tool: { arguments: true } } });
  });

  it('keeps a computed key whole even when the collection it indexes is not input', async () => {
    // The key is compared with every member of the set, so a pruned key would match differently.
    const r = await analyse(
      dir,
      [
        'blocked contains t if some t in [{"b": 1, "c": 2}]',
        'denied if blocked[input.target]',
        'denied if input.target.b == 99',
        'default denied := false',
        'decision := {"allow": denied == false, "rule": "r", "reason": "r"}',
      ].join('\n'),
    );
    assert.deepEqual(r.projection, { target: true });
  });

  it('keeps both values whole where a complete rule can be assigned twice (OPA compares them)', async () => {
    const r = await analyse(
      dir,
      [
        'x := input.a if input.c == 1',
        'x := input.b if input.c == 1',
        'decision := {"allow": x.name == "ok", "rule": "r", "reason": "r"}',
      ].join('\n'),
    );
    assert.deepEqual(r.projection, { a: true, b: true, c: true });
  });

  it('follows values through function parameters and return values', async () => {
    const r = await analyse(
      dir,
      [
        'tool := input.mcp.tool',
        'named(t, n) if t.name == n',
        'decision := {"allow": true, "rule": "r", "reason": "r"} if { named(tool, "get"); tool.annotations.readOnlyHint }',
      ].join('\n'),
    );
    assert.deepEqual(r.projection, { mcp: { tool: { annotations: { readOnlyHint: true }, name: true } } });
  });

  it('keeps a value whole when the decision contains it', async () => {
    const r = await analyse(dir, 'decision := {"allow": false, "rule": "r", "reason": "r", "audit": {"labels": input.http.headers}}');
    assert.deepEqual(r.projection, { http: { headers: true } });
  });

  it('keeps a value whole when it is compared as a whole', async () => {
    const r = await analyse(dir, 'decision := {"allow": input.session == {"id": "s"}, "rule": "r", "reason": "r"}');
    assert.deepEqual(r.projection, { session: true });
  });

  it('gives up, so the policy sees everything, when it reads the input as a whole', async () => {
    const r = await analyse(dir, 'decision := {"allow": false, "rule": "r", "reason": json.marshal(input)}');
    assert.equal(r.projection, undefined);
    assert.match((r as { reason: string }).reason, /reads the input as a whole/);
  });

  it('gives up on `with`', async () => {
    const r = await analyse(dir, ['p if input.a == 1', 'decision := {"allow": x, "rule": "r", "reason": "r"} if { x := p with input.a as 1 }'].join('\n'));
    assert.equal(r.projection, undefined);
    assert.match((r as { reason: string }).reason, /with/);
  });

  it('gives up on a plan statement it does not know, and on a malformed plan', () => {
    const plan = (stmts: unknown[]) => ({
      static: { strings: [{ value: 'a' }] },
      plans: { plans: [{ name: 'regate/decision', blocks: [{ stmts }] }] },
      funcs: { funcs: [] },
    });
    const dot = { type: 'DotStmt', stmt: { source: { type: 'local', value: 0 }, key: { type: 'string_index', value: 0 }, target: 2 } };
    assert.deepEqual(analyzePlan(plan([dot])).projection, { a: true });
    const future = analyzePlan(plan([dot, { type: 'TeleportStmt', stmt: { source: 2 } }]));
    assert.equal(future.projection, undefined);
    assert.match((future as { reason: string }).reason, /unknown plan statement TeleportStmt/);
    for (const broken of [null, {}, { static: { strings: [] } }, plan([{ type: 'DotStmt', stmt: { source: { type: 'local', value: 0 }, key: { type: 'string_index', value: 9 }, target: 2 } }])]) {
      assert.equal(analyzePlan(broken).projection, undefined, JSON.stringify(broken));
    }
  });

  it('does not confuse a local the planner reuses for something else', async () => {
    // Both rule bodies compile into one function whose locals are reused across bodies: the
    // second body's data lookup must not inherit the first body's input path.
    const r = await analyse(
      dir,
      [
        'limits := {"a": {"max": 1}}',
        'over if input.session.calls > 3',
        'over if limits[input.connection.name].max < 2',
        'decision := {"allow": over, "rule": "r", "reason": "r"}',
      ].join('\n'),
    );
    assert.deepEqual(r.projection, { connection: { name: true }, session: { calls: true } });
  });
});
