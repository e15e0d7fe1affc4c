import assert from 'node:assert/strict';
import type { LogsQueryClient } from '@azure/monitor-query-logs';
import type { TranscriptEvent } from '../../../../src/audit/event.ts';
import { ReviewAggregator } from '../../../../src/audit/review/aggregate.ts';
import { kqlString, readLogAnalytics, rowToEvent, windowQuery } from '../../../../src/audit/review/log-analytics-source.ts';
import { createProgress } from '../../../../src/audit/review/progress.ts';
import { RecentIds } from '../../../../src/audit/review/recent-ids.ts';
import { parseInstant, parseTimeRange } from '../../../../src/audit/review/time-range.ts';
import { formatCsv } from '../../../../src/audit/review/format-text.ts';
import { escapeHtml } from '../../../../src/text/html.ts';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
let n = 0;
function ev(kind: TranscriptEvent['kind'], extra: Partial<TranscriptEvent> = {}): TranscriptEvent {
  n++;
  return { event_id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`, time: '2026-11-30T10:00:00.000Z', connection: 'crm', kind, principal_id: 'p1', session_id: 's1', ...extra };
}

describe('review building blocks', () => {
  describe('time range', () => {
    const cases: [string, number][] = [
      ['90s', NOW - 90_000],
      ['15m', NOW - 900_000],
      ['12h', NOW - 12 * 3_600_000],
      ['30d', NOW - 30 * 86_400_000],
      ['2w', NOW - 14 * 86_400_000],
      ['2026-11-01', Date.parse('2026-11-01')],
      ['2026-11-01T08:00:00Z', Date.parse('2026-11-01T08:00:00Z')],
    ];
    for (const [v, want] of cases) it(`reads ${v}`, () => assert.equal(parseInstant(v, NOW, '--since'), want));
    it('refuses words, negative-looking values and an empty range', () => {
      for (const bad of ['yesterday', '-3d', '3y', '']) assert.throws(() => parseInstant(bad, NOW, '--since'), /REGATE_ERR_CONFIG_INVALID|expected a duration/);
      assert.throws(() => parseTimeRange('1d', '2d', NOW), /after --since/);
    });
  });

  it('remembers the most recent ids only, up to its capacity', () => {
    const ids = new RecentIds(2);
    assert.equal(ids.add('a'), true);
    assert.equal(ids.add('a'), false);
    ids.add('b');
    ids.add('c'); // forgets a
    assert.equal(ids.add('b'), false);
    assert.equal(ids.add('a'), true);
  });

  it('counts an approval once as requested (by its id) and once as granted, also when its grant was spent (used) or rides on several calls', () => {
    const agg = new ReviewAggregator({ sinceMs: NOW - 86_400_000, untilMs: NOW });
    const events = [
      // A held call: decided approval, its approval recorded once spent.
      ev('decision', { decision: 'approval', rule: 'r.approval', approval_id: 'ap-1' }),
      ev('approval', { approval_id: 'ap-1', approval_status: 'used', approvers: [{ id: 'b', name: 'Boss', at: '2026-11-30T10:00:00.000Z' }], justification: 'ticket 77' }),
      // An async approval: asked (pending), then two retries ride on the one grant.
      ev('decision', { decision: 'approval', rule: 'r.approval', approval_id: 'ap-2' }),
      ev('approval', { approval_id: 'ap-2', approval_status: 'pending', justification: 'batch' }),
      ev('decision', { decision: 'approval', rule: 'r.approval', approval_id: 'ap-2' }),
      ev('approval', { approval_id: 'ap-2', approval_status: 'approved', approver: 'Boss', justification: 'batch' }),
      ev('decision', { decision: 'approval', rule: 'r.approval', approval_id: 'ap-2' }),
      ev('approval', { approval_id: 'ap-2', approval_status: 'used', approver: 'Boss', justification: 'batch' }),
      // A 2026 call first answered with regate's justification form: nobody was asked yet.
      ev('decision', { decision: 'approval', rule: 'r.approval' }),
      // A transcript written before decision events named their approval.
      ev('decision', { decision: 'allow', rule: 'regate.tools.approved' }),
      ev('approval', { approval_id: 'ap-3', approval_status: 'used', approver: 'Boss', justification: 'old' }),
    ];
    for (const e of events) agg.add(e);
    const p = agg.result({ source: 't', events: { read: events.length, duplicates: 0, invalid: 0, dedupe_window: 1 }, now: new Date(NOW) }).principals[0]!;
    assert.deepEqual(p.approvals, { requested: 3, granted: 3, denied: 0, expired: 0, approvers: { Boss: 3 }, justifications: ['ticket 77', 'batch', 'old'] });
  });

  it('aggregates per principal and connection, filters by principal and range, and buckets the timeline by hour', () => {
    const range = { sinceMs: NOW - 86_400_000, untilMs: NOW };
    const agg = new ReviewAggregator(range, { principal: 'p1' });
    const events = [
      ev('request', { method: 'tools/call', tool: 'get' }),
      ev('decision', { decision: 'deny', rule: 'r.deny' }),
      ev('request', { method: 'tools/call', tool: 'get', session_id: 's2' }),
      ev('decision', { decision: 'approval', rule: 'r.approval', approval_id: 'ap-1' }),
      ev('approval', { approval_id: 'ap-1', approval_status: 'approved', approver: 'a1, a2', justification: 'why' }),
      ev('response', { masked: { email: 2 }, exposed: { ip: 1 } }),
      ev('error', {}),
      ev('request', { principal_id: 'p2', method: 'ping' }),
      ev('request', { time: '2026-11-28T10:00:00.000Z', method: 'ping' }),
    ];
    const counted = events.map((e) => agg.add(e));
    assert.deepEqual(counted, [true, true, true, true, true, true, true, false, false]);
    const r = agg.result({ source: 't', events: { read: 9, duplicates: 0, invalid: 0, dedupe_window: 1 }, now: new Date(NOW) });
    assert.equal(r.principals.length, 1);
    const p = r.principals[0]!;
    assert.equal(p.calls, 2);
    assert.deepEqual(p.tools, { get: 2 });
    assert.deepEqual(p.denials_by_rule, { 'r.deny': 1 });
    assert.deepEqual(p.approvals, { requested: 1, granted: 1, denied: 0, expired: 0, approvers: { a1: 1, a2: 1 }, justifications: ['why'] });
    assert.equal(p.errors, 1);
    assert.equal(p.sessions, 2);
    assert.equal(r.timeline.bucket, 'hour');
    assert.equal(r.timeline.points.length, 24);
    const ten = r.timeline.points.find((x) => x.start === '2026-11-30T10:00:00.000Z')!;
    assert.deepEqual([ten.calls, ten.denials], [2, 1]);
    assert.equal(r.summary.exposed_total, 1);
  });

  it('turns a query row back into an event: dates to RFC 3339, empty cells left out, non-events refused', () => {
    const e = rowToEvent(['event_id', 'time', 'kind', 'connection', 'tool', 'masked', 'bytes'], ['id', new Date(NOW), 'response', 'crm', '', { email: 1 }, null]);
    assert.deepEqual(e, { event_id: 'id', time: '2026-11-30T12:00:00.000Z', kind: 'response', connection: 'crm', masked: { email: 1 } });
    assert.equal(rowToEvent(['event_id'], ['id']), undefined);
  });

  it('writes KQL string literals that cannot be escaped from', () => {
    assert.equal(kqlString('abc-123'), '"abc-123"');
    assert.equal(kqlString('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
    assert.match(windowQuery('T', 5, 'x" or 1==1 //'), /^T\n\| where session_id == "x\\" or 1==1 \/\/"\n\| project event_id, .*\n\| take 5$/);
  });

  it('queries Log Analytics window by window, oldest first, and splits a window that returns too many rows', async () => {
    const times = [NOW - 3_500_000, NOW - 3_400_000, NOW - 3_300_000, NOW - 100_000];
    const asked: [number, number][] = [];
    const client = {
      queryWorkspace: async (_ws: string, q: string, span: { startTime: Date; endTime: Date }) => {
        const take = Number(/take (\d+)$/.exec(q)?.[1]);
        const [s, e] = [span.startTime.getTime(), span.endTime.getTime()];
        asked.push([s, e]);
        const rows = times.filter((t) => t >= s && t < e).map((t, i) => [`id-${t}-${i}`, new Date(t), 'request', 'crm']).slice(0, take);
        return { status: 'Success', tables: [{ name: 'PrimaryResult', columnDescriptors: ['event_id', 'time', 'kind', 'connection'].map((name) => ({ name, type: 'string' })), rows }] };
      },
    } as unknown as Pick<LogsQueryClient, 'queryWorkspace'>;
    const got: string[] = [];
    const reader = readLogAnalytics({ client, workspaceId: 'w', table: 'T', range: { sinceMs: NOW - 3_600_000, untilMs: NOW }, windowMs: 1_800_000, maxRows: 2 });
    for await (const e of reader) if (e !== undefined) got.push(e.time);
    assert.deepEqual(got, times.map((t) => new Date(t).toISOString()));
    assert.equal(asked[0]![0], NOW - 3_600_000, 'oldest window first');
    assert.ok(asked.length > 2, 'the crowded first window was split');
  });

  it("reads one session's events from Log Analytics in one query over the whole range, filtered by the service", async () => {
    const asked: { q: string; span: [number, number] }[] = [];
    const client = {
      queryWorkspace: async (_ws: string, q: string, span: { startTime: Date; endTime: Date }) => {
        asked.push({ q, span: [span.startTime.getTime(), span.endTime.getTime()] });
        return { status: 'Success', tables: [{ name: 'PrimaryResult', columnDescriptors: [], rows: [] }] };
      },
    } as unknown as Pick<LogsQueryClient, 'queryWorkspace'>;
    const range = { sinceMs: NOW - 30 * 86_400_000, untilMs: NOW };
    for await (const _ of readLogAnalytics({ client, workspaceId: 'w', table: 'T', range, windowMs: 3_600_000, maxRows: 10, sessionId: 's-1' })) assert.fail('no rows');
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0]!.span, [range.sinceMs, range.untilMs]);
    assert.match(asked[0]!.q, /\| where session_id == "s-1"/);
  });

  it('draws progress on a terminal only', () => {
    const written: string[] = [];
    let t = 0;
    createProgress({ isTTY: false, write: (s: string) => written.push(s) }, 'x').update(1, 2, 3);
    assert.equal(written.length, 0);
    const p = createProgress({ isTTY: true, write: (s: string) => written.push(s) }, 'reading', () => (t += 1000));
    p.update(1, 2, 3000);
    p.finish();
    assert.match(written[0]!, /^\rreading \[#{15}\.{15}\] 50% 3,000 events$/);
    assert.equal(written[1], '\n');
  });

  it('escapes HTML and keeps CSV cells from becoming spreadsheet formulas', () => {
    assert.equal(escapeHtml('<a href="x">&\''), '&#60;a href=&#34;x&#34;&#62;&#38;&#39;');
    const r = new ReviewAggregator({ sinceMs: NOW - 3_600_000, untilMs: NOW });
    r.add(ev('request', { time: '2026-11-30T11:30:00.000Z', principal_id: '=HYPERLINK("x")', method: 'ping' }));
    const csv = formatCsv(r.result({ source: 't', events: { read: 1, duplicates: 0, invalid: 0, dedupe_window: 1 }, now: new Date(NOW) }));
    assert.match(csv, /\r\ncrm,"'=HYPERLINK\(""x""\)",/);
  });
});
