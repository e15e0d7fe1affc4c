import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { AccessReview } from '../../../src/audit/review/model.ts';
import { REPO } from '../../helpers/gateway.ts';
import { readFile } from 'node:fs/promises';
import { recordSessions, regate, type Recorded } from './recorded.ts';

/**
 * The HTML review opened in Debian chromium: one self-contained page (nothing fetched) whose
 * figures, per-connection tables, timeline chart and exposure table agree with the JSON format
 * of the same review. A screenshot is kept in test-artifacts/ for a human to look at.
 */
describe('regate review --format html in a browser', function () {
  this.timeout(60_000);
  let rec: Recorded;
  let browser: Browser;
  let json: AccessReview;
  let htmlPath: string;

  const cli = async (...args: string[]) => {
    const { code, err } = await regate(...args);
    assert.equal(code, 0, err);
  };

  before(async () => {
    rec = await recordSessions();
    htmlPath = join(rec.dir, 'review.html');
    const jsonPath = join(rec.dir, 'review.json');
    // --until pins both runs to the same range.
    const until = new Date(Date.now() + 60_000).toISOString();
    await cli('review', '--config', rec.configPath, '--since', '1h', '--until', until, '--format', 'html', '--out', htmlPath);
    await cli('review', '--config', rec.configPath, '--since', '1h', '--until', until, '--format', 'json', '--out', jsonPath);
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as AccessReview;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await rec?.dispose();
  });

  it('shows the same summary figures, tables, chart and exposure as the JSON review, fetching nothing', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${htmlPath}`);

    const figures = await page.$$eval('[data-figure]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-figure'), Number(e.textContent)])));
    const s = json.summary;
    assert.deepEqual(figures, {
      principals: s.principals,
      connections: s.connections,
      calls: s.calls,
      tool_calls: s.tool_calls,
      denials: s.denials,
      approvals_requested: s.approvals_requested,
      approvals_granted: s.approvals_granted,
      approvals_denied: s.approvals_denied,
      sessions: s.sessions,
      masked_total: s.masked_total,
      exposed_total: s.exposed_total,
    });

    const tables = await page.$$eval('section.connection', (els) =>
      els.map((el) => ({ connection: el.getAttribute('data-connection'), rows: [...el.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)) })),
    );
    assert.deepEqual(tables.map((t) => t.connection), [...new Set(json.principals.map((p) => p.connection))]);
    const crm = tables.find((t) => t.connection === 'crm')!;
    assert.deepEqual(crm.rows.map((r) => [r[0], Number(r[1]), Number(r[3])]), json.principals.map((p) => [p.principal_id, p.calls, p.denials]));

    const chart = await page.$$eval('#timeline rect.calls', (els) => els.map((e) => Number(e.getAttribute('data-calls'))));
    const denials = await page.$$eval('#timeline rect.denials', (els) => els.map((e) => Number(e.getAttribute('data-denials'))));
    assert.deepEqual(chart, json.timeline.points.map((p) => p.calls));
    assert.deepEqual(denials, json.timeline.points.map((p) => p.denials));
    assert.ok(await page.isVisible('#timeline'));

    const exposure = await page.$$eval('#exposure tbody tr', (els) =>
      Object.fromEntries(els.map((tr) => [tr.getAttribute('data-detector'), [Number(tr.querySelector('.masked')?.textContent), Number(tr.querySelector('.exposed')?.textContent)]])),
    );
    const detectors = [...new Set([...Object.keys(s.masked), ...Object.keys(s.exposed)])].sort();
    assert.deepEqual(exposure, Object.fromEntries(detectors.map((d) => [d, [s.masked[d] ?? 0, s.exposed[d] ?? 0]])));

    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'a self-contained page fetches nothing');
    const artifacts = join(REPO, 'test-artifacts');
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'access-review.png'), fullPage: true });
    await page.close();
  });
});
