import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { dirname, join } from 'node:path';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { formatHtml } from '../../../src/audit/review/format-html.ts';
import { CSV_COLUMNS, formatCsv, formatMarkdown } from '../../../src/audit/review/format-text.ts';
import type { AccessReview } from '../../../src/audit/review/model.ts';
import { runReplay, runReview } from '../../../src/audit/review/run.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { AzureFakes, azureClientOptions } from '../../helpers/azure-fakes.ts';
import { LogQueryFake } from '../../helpers/log-query-fake.ts';
import { testCa } from '../../helpers/test-ca.ts';
import { EXPECTED, recordSessions, regate, type Recorded } from './recorded.ts';

/**
 * `regate review` on sessions a real gateway recorded (plus hand-built approval and masking
 * events, see recorded.ts): exactly the expected counts, in every format, read from the file sink
 * (rotated file included) and from Log Analytics through the real LogsQueryClient.
 */
describe('regate review (recorded sessions, file sink and Log Analytics query fake)', function () {
  this.timeout(60_000);
  let rec: Recorded;
  let config: Config;
  let fakes: AzureFakes;
  let query: LogQueryFake;
  const reviews: Record<string, AccessReview> = {};
  let range: { sinceMs: number; untilMs: number };
  let withLa: Config;

  before(async () => {
    rec = await recordSessions();
    config = await loadConfigFile(rec.configPath, {});
    range = { sinceMs: rec.startedAt - 60_000, untilMs: Date.now() + 60_000 };
    reviews['file'] = await runReview({ config, baseDir: dirname(rec.configPath), range, source: 'file' });

    fakes = await AzureFakes.start();
    query = await LogQueryFake.start(fakes);
    query.rows.push(...rec.events);
    // The same recording, read back through the Logs query API (the config a reviewer without the file has).
    const laConfigPath = join(rec.dir, 'regate-la.yaml');
    await writeFile(
      laConfigPath,
      stringify({
        connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }],
        audit: {
          sink: 'log-analytics',
          // Small windows and a small row limit: the reader must page and split windows.
          log_analytics: fakes.logAnalyticsConfig({ workspace_id: query.workspaceId, query_endpoint: `${query.url}/v1`, query_window_hours: 0.01, query_max_rows: 20 }),
        },
      }),
    );
    withLa = await loadConfigFile(laConfigPath, {});
    reviews['log-analytics'] = await runReview({ config: withLa, baseDir: rec.dir, range, source: 'auto', azure: azureClientOptions(await testCa()) });
  });
  after(async () => {
    await query?.close();
    await fakes?.close();
    await rec?.dispose();
  });

  /** An independent count over the deduplicated events: what the review must say about calls and sessions. */
  function naive(principal: string) {
    const seen = new Map<string, TranscriptEvent>();
    for (const e of rec.events) seen.set(e.event_id, e);
    const mine = [...seen.values()].filter((e) => e.principal_id === principal);
    return { calls: mine.filter((e) => e.kind === 'request').length, sessions: new Set(mine.map((e) => e.session_id).filter(Boolean)).size };
  }

  for (const source of ['file', 'log-analytics'] as const) {
    describe(`from ${source}`, () => {
      const r = () => reviews[source]!;
      const of = (id: string) => r().principals.find((p) => p.principal_id === id && p.connection === 'crm')!;

      it('counts tools, denials by rule, approvals with approvers and justifications, masks and exposures per principal', () => {
        const alice = of('alice');
        assert.deepEqual(alice.tools, EXPECTED.alice.tools);
        assert.deepEqual(alice.denials_by_rule, EXPECTED.alice.denials_by_rule);
        assert.equal(alice.denials, 1);
        assert.deepEqual(alice.approvals, EXPECTED.alice.approvals);
        assert.deepEqual(alice.masked, EXPECTED.alice.masked);
        assert.deepEqual(alice.exposed, EXPECTED.alice.exposed);
        const bob = of('bob');
        assert.deepEqual(bob.tools, EXPECTED.bob.tools);
        assert.deepEqual(bob.denials_by_rule, EXPECTED.bob.denials_by_rule);
        assert.deepEqual(bob.masked, {});
      });

      it('counts every client message as a call and each session once, with first and last seen', () => {
        for (const id of ['alice', 'bob']) {
          const p = of(id);
          const n = naive(id);
          assert.equal(p.calls, n.calls);
          const toolCalls = Object.values(p.tools).reduce((a, b) => a + b, 0);
          assert.ok(p.calls >= toolCalls + 2, `${id}: initialize, initialized and the tool calls`);
          assert.equal(p.sessions, n.sessions);
          assert.equal(p.sessions, 1);
          assert.ok(p.first_seen <= p.last_seen);
        }
      });

      it('skips the redelivered copy and the torn line, and sums up', () => {
        assert.equal(r().events.duplicates, 1);
        assert.equal(r().events.invalid, source === 'file' ? 1 : 0);
        assert.equal(r().events.read, new Set(rec.events.map((e) => e.event_id)).size);
        const s = r().summary;
        assert.equal(s.principals, 2);
        assert.equal(s.connections, 1);
        assert.equal(s.tool_calls, 6);
        assert.equal(s.denials, 2);
        assert.equal(s.approvals_requested, 2);
        assert.equal(s.approvals_granted, 1);
        assert.equal(s.approvals_denied, 1);
        assert.deepEqual(s.masked, EXPECTED.alice.masked);
        assert.equal(s.masked_total, EXPECTED.alice.masked_total);
        assert.equal(s.exposed_total, 1);
        assert.equal(s.calls, naive('alice').calls + naive('bob').calls);
        assert.match(s.unapproved_note ?? '', /--bundle/);
        assert.equal(r().timeline.points.reduce((n, p) => n + p.calls, 0), s.calls);
        assert.equal(r().timeline.points.reduce((n, p) => n + p.denials, 0), 2);
      });
    });
  }

  it('gives the same review from Log Analytics as from the file, after paging through split windows', () => {
    const strip = (r: AccessReview) => ({ ...r, source: '', generated_at: '', events: { ...r.events, invalid: 0 } });
    assert.deepEqual(strip(reviews['log-analytics']!), strip(reviews['file']!));
    assert.ok(query.queries.length > 3, 'several windows were queried');
    assert.match(query.queries[0]!.query, /^RegateTranscripts_CL\n\| project event_id, time, /);
  });

  it('replays a session from Log Analytics, filtered by the service, exactly as from the file', async () => {
    const sid = rec.gatewayEvents.find((e) => e.principal_id === 'bob' && e.session_id !== undefined)!.session_id!;
    const asked = query.queries.length;
    const fromLa = await runReplay({ config: withLa, baseDir: rec.dir, range, source: 'auto', sessionId: sid, azure: azureClientOptions(await testCa()) });
    const fromFile = await runReplay({ config, baseDir: dirname(rec.configPath), range, source: 'file', sessionId: sid });
    assert.ok(fromFile !== undefined && fromFile.entries.length > 0);
    assert.deepEqual(fromLa, fromFile);
    const queries = query.queries.slice(asked);
    assert.ok(queries.length > 0 && queries.every((q) => q.query.includes(`\n| where session_id == "${sid}"\n`)));
  });

  it('prints the same figures as CSV (a row per principal and a totals row) and Markdown', () => {
    const r = reviews['file']!;
    const lines = formatCsv(r).trim().split('\r\n');
    assert.deepEqual(lines[0]!.split(','), [...CSV_COLUMNS]);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [CSV_COLUMNS[i]!, v])));
    const alice = rows.find((x) => x['principal_id'] === 'alice')!;
    assert.equal(alice['tools'], 'export_customers_csv=1; get_customer=2; list_customers=1');
    assert.equal(alice['denials_by_rule'], 'regate.tools.denied=1');
    assert.equal(alice['approvals_requested'], '2');
    assert.equal(alice['approvals_granted'], '1');
    assert.equal(alice['approvals_denied'], '1');
    assert.equal(alice['approvers'], 'carol=1; dave=1');
    assert.equal(alice['masked'], Object.entries(EXPECTED.alice.masked).map(([k, n]) => `${k}=${n}`).join('; '));
    assert.equal(alice['exposed'], 'phone=1');
    const totals = rows.at(-1)!;
    assert.equal(totals['connection'], '*');
    assert.equal(totals['calls'], String(r.summary.calls));
    assert.equal(totals['tool_calls'], '6');
    assert.equal(totals['denials'], '2');
    assert.equal(totals['masked_total'], String(EXPECTED.alice.masked_total));

    const md = formatMarkdown(r);
    assert.match(md, /\| calls \| (\d+) \|/);
    assert.equal(/\| calls \| (\d+) \|/.exec(md)?.[1], String(r.summary.calls));
    assert.match(md, /\| tool calls \| 6 \|/);
    assert.match(md, /\| denials \| 2 \|/);
    assert.match(md, /\| approvals granted \| 1 \|/);
    assert.match(md, /\| credit\\_card \| 4 \| 0 \|/);
    assert.match(md, /\| phone \| 2 \| 1 \|/);
    assert.match(md, /- tools: export\\_customers\\_csv=1; get\\_customer=2; list\\_customers=1/);
    assert.match(md, /- approvers: carol=1; dave=1/);
    assert.match(md, /"CHG-1001: customer asked to close the account"/);
  });

  it('prints the figures into the HTML page (checked in a browser by review-html.test.ts)', () => {
    const html = formatHtml(reviews['file']!);
    const figure = (name: string) => new RegExp(`data-figure="${name}">(\\d+)<`).exec(html)?.[1];
    assert.equal(figure('calls'), String(reviews['file']!.summary.calls));
    assert.equal(figure('denials'), '2');
    assert.equal(figure('masked_total'), String(EXPECTED.alice.masked_total));
    assert.doesNotMatch(html, /<script|<link|src="http|href="http/);
  });

  it('runs from the command line: regate review --format json --connection crm --principal bob', async () => {
    const { code, out, err } = await regate('review', '--config', rec.configPath, '--since', '1h', '--format', 'json', '--principal', 'bob', '--connection', 'crm');
    assert.equal(code, 0, err);
    const r = JSON.parse(out) as AccessReview;
    assert.deepEqual(r.principals.map((p) => p.principal_id), ['bob']);
    assert.deepEqual(r.principals[0]!.tools, EXPECTED.bob.tools);
    assert.deepEqual(r.filters, { connection: 'crm', principal: 'bob' });
  });

  it('without --config reads what npm start records: the embedded defaults, data/transcripts.jsonl under the working directory', async () => {
    const home = await mkdtemp(join(tmpdir(), 'regate-embedded-'));
    const cwd = process.cwd();
    try {
      await mkdir(join(home, 'data'));
      await writeFile(join(home, 'data', 'transcripts.jsonl'), await readFile(rec.rotated, 'utf8'));
      process.chdir(home);
      const { code, out, err } = await regate('review', '--since', '1h', '--format', 'json', '--principal', 'bob', '--connection', 'crm');
      assert.equal(code, 0, err);
      assert.deepEqual((JSON.parse(out) as AccessReview).principals[0]!.tools, EXPECTED.bob.tools);
    } finally {
      process.chdir(cwd);
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses a bad --format or --since with a one-line reason and a non-zero exit', async () => {
    for (const args of [['--format', 'pdf', '--since', '1d'], ['--since', 'yesterday']]) {
      const { code, err } = await regate('review', '--config', rec.configPath, ...args);
      assert.notEqual(code, 0);
      assert.match(err, /^regate: REGATE_ERR_CONFIG_INVALID: .*\n$/);
    }
  });

  it('keeps reading the rotated file the gateway wrote', async () => {
    assert.ok((await readFile(rec.rotated, 'utf8')).length > 0);
    assert.match(reviews['file']!.source, /\(2 files\)/);
    assert.equal(join(dirname(rec.transcript), 'transcripts.jsonl'), rec.transcript);
  });
});
