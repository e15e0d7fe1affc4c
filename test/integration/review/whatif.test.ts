import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WhatIfReport } from '../../../src/audit/review/run.ts';
import type { AccessReview } from '../../../src/audit/review/model.ts';
import { buildBundle, DEFAULT_REGO, scratch } from '../../fixtures/policy/bundles.ts';
import { recordSessions, regate, type Recorded } from './recorded.ts';

/**
 * `regate whatif` against a stricter bundle built by the real opa from the default policy with
 * its data changed: get_customer now needs approval, search_customers is denied, export_customers_csv
 * becomes read-only, and list_customers masks one more path. The recorded sessions (recorded.ts)
 * made exactly the calls this changes, and the report lists exactly those.
 */
describe('regate whatif (recorded sessions against a stricter bundle)', function () {
  this.timeout(120_000);
  let rec: Recorded;
  let work: { dir: string; dispose: () => Promise<void> };
  let bundle: string;
  let report: WhatIfReport;

  const cli = async (...args: string[]) => {
    const { code, out, err } = await regate(...args);
    assert.equal(code, 0, err);
    return out;
  };

  before(async () => {
    rec = await recordSessions();
    work = await scratch('regate-whatif-');
    const rego = join(work.dir, 'rego');
    await cp(DEFAULT_REGO, rego, { recursive: true });
    const data = JSON.parse(await readFile(join(rego, 'data.json'), 'utf8'));
    const crm = data.regate.config.connections.crm;
    crm.read_only_tools = ['list_customers', 'export_customers_csv'];
    crm.approval_tools = [...crm.approval_tools, 'get_customer'];
    crm.denied_tools = ['search_customers'];
    crm.masks.list_customers.push({ path: '$.structuredContent.customers[*].name', style: 'redact' });
    await writeFile(join(rego, 'data.json'), JSON.stringify(data, null, 2));
    bundle = join(work.dir, 'stricter.tar.gz');
    await writeFile(bundle, await buildBundle(work.dir, { source: rego, revision: 'stricter-1' }));
    report = JSON.parse(await cli('whatif', '--config', rec.configPath, '--bundle', bundle, '--since', '1h', '--format', 'json')) as WhatIfReport;
  });
  after(async () => {
    await rec?.dispose();
    await work?.dispose();
  });

  it('re-decides every recorded request that has a decision', () => {
    const requests = rec.gatewayEvents.filter((e) => e.kind === 'request').length;
    assert.equal(report.decided, requests);
    assert.equal(report.unpaired, 0);
    assert.equal(report.revision, 'stricter-1');
  });

  it('lists exactly the calls the stricter policy changes, grouped by change, rule and principal', () => {
    const groups = report.groups.map((g) => ({ change: g.change, rule: g.rule, principal: g.principal_id, count: g.count, tools: g.examples.map((e) => e.tool) }));
    assert.deepEqual(groups, [
      { change: 'allow->approval', rule: 'regate.tools.destructive', principal: 'alice', count: 2, tools: ['get_customer', 'get_customer'] },
      { change: 'allow->deny', rule: 'regate.tools.denied', principal: 'bob', count: 1, tools: ['search_customers'] },
      { change: 'deny->allow', rule: 'regate.tools.read_only', principal: 'alice', count: 1, tools: ['export_customers_csv'] },
      { change: 'deny->allow', rule: 'regate.tools.read_only', principal: 'bob', count: 1, tools: ['export_customers_csv'] },
      { change: 'new-masks', rule: 'regate.tools.read_only', principal: 'alice', count: 1, tools: ['list_customers'] },
    ]);
    assert.deepEqual(report.by_change, { 'allow->approval': 2, 'allow->deny': 1, 'deny->allow': 2, 'new-masks': 1 });
    assert.equal(report.changed, 6);
    assert.equal(report.unchanged, report.decided - 6);
    const masks = report.groups.find((g) => g.change === 'new-masks')!.examples[0]!;
    assert.deepEqual(masks.new_masks, ['$.structuredContent.customers[*].name:redact']);
    assert.equal(report.groups[1]!.examples[0]!.old_rule, 'regate.tools.read_only');
  });

  it('finds nothing to change against the bundle the calls were recorded with', async () => {
    const same = JSON.parse(await cli('whatif', '--config', rec.configPath, '--bundle', join(DEFAULT_REGO, '../bundles/regate.tar.gz'), '--since', '1h', '--format', 'json')) as WhatIfReport;
    assert.equal(same.changed, 0);
    assert.equal(same.decided, report.decided);
  });

  it('prints Markdown and CSV with the same groups', async () => {
    const md = await cli('whatif', '--config', rec.configPath, '--bundle', bundle, '--since', '1h');
    assert.match(md, /\| allow->approval \| 2 \|/);
    assert.match(md, /## allow->deny by regate\.tools\.denied: bob on crm \(1\)/);
    const csv = (await cli('whatif', '--config', rec.configPath, '--bundle', bundle, '--since', '1h', '--format', 'csv')).trim().split('\r\n');
    assert.equal(csv.length, 1 + report.groups.length);
    assert.match(csv[1]!, /^allow->approval,regate\.tools\.destructive,alice,crm,2,/);
  });

  it('counts, in the review, the calls that ran without approval where the stricter policy would ask for one', async () => {
    const review = JSON.parse(await cli('review', '--config', rec.configPath, '--since', '1h', '--format', 'json', '--bundle', bundle)) as AccessReview;
    const u = review.summary.unapproved!;
    assert.equal(u.count, 2);
    assert.equal(u.revision, 'stricter-1');
    assert.deepEqual(u.examples.map((e) => [e.principal_id, e.tool, e.rule]), [['alice', 'get_customer', 'regate.tools.destructive'], ['alice', 'get_customer', 'regate.tools.destructive']]);
    assert.equal(review.summary.unapproved_note, undefined);
  });
});
