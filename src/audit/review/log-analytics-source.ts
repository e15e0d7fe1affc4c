/**
 * Reads transcript events back from Log Analytics with `LogsQueryClient.queryWorkspace`, one time
 * window at a time so that no answer approaches the query API's limits (500,000 rows, 64 MB): each
 * window asks for at most `maxRows + 1` rows; a window that returns more is split in two and asked
 * again. At most one window's rows are held in memory.
 */
import type { LogsQueryClient, QueryTimeInterval } from '@azure/monitor-query-logs';
import { RegateError } from '../../errors.ts';
import { EVENT_FIELDS, type TranscriptEvent } from '../event.ts';
import type { TimeRange } from './time-range.ts';

export interface LogAnalyticsReadOptions {
  readonly client: Pick<LogsQueryClient, 'queryWorkspace'>;
  readonly workspaceId: string;
  readonly table: string;
  readonly range: TimeRange;
  /** Length of one query window. */
  readonly windowMs: number;
  /** Rows one query may return before its window is split. */
  readonly maxRows: number;
  /** Only this session's events (replay): filtered by the service, not here, in one query over the range. */
  readonly sessionId?: string;
  /** Called after each window with the milliseconds of the range covered so far. */
  readonly onWindow?: (coveredMs: number, totalMs: number) => void;
}

/** A KQL string literal (double-quoted, backslash escapes). */
export function kqlString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** The KQL of one window: the event columns, at most `take` rows (the window itself is the query timespan). */
export function windowQuery(table: string, take: number, sessionId?: string): string {
  const where = sessionId !== undefined ? `\n| where session_id == ${kqlString(sessionId)}` : '';
  return `${table}${where}\n| project ${EVENT_FIELDS.join(', ')}\n| take ${take}`;
}

/** One result row back to an event: datetimes to RFC 3339, empty cells (Log Analytics has no null strings) left out. */
export function rowToEvent(columns: readonly string[], row: readonly unknown[]): TranscriptEvent | undefined {
  const e: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i];
    let v = row[i];
    if (name === undefined || v === null || v === undefined || v === '') continue;
    if (v instanceof Date) v = v.toISOString();
    e[name] = v;
  }
  return typeof e['event_id'] === 'string' && typeof e['time'] === 'string' && typeof e['kind'] === 'string' && typeof e['connection'] === 'string'
    ? (e as TranscriptEvent)
    : undefined;
}

/** Every event of the range, window by window (`undefined` for a row that is not an event). */
export async function* readLogAnalytics(o: LogAnalyticsReadOptions): AsyncGenerator<TranscriptEvent | undefined> {
  const totalMs = o.range.untilMs - o.range.sinceMs;
  // One session's events are few: one query over the whole range (split like any window if it
  // returns more than maxRows), not one per window of a month.
  const windowMs = o.sessionId !== undefined ? Math.max(1, totalMs) : o.windowMs;
  const pending: [number, number][] = [];
  for (let s = o.range.untilMs; s > o.range.sinceMs; s -= windowMs) pending.push([Math.max(o.range.sinceMs, s - windowMs), s]);
  // pending is a stack: the oldest window is on top.
  let covered = 0;
  while (pending.length > 0) {
    const [start, end] = pending.pop()!;
    const timespan: QueryTimeInterval = { startTime: new Date(start), endTime: new Date(end) };
    const result = await o.client.queryWorkspace(o.workspaceId, windowQuery(o.table, o.maxRows + 1, o.sessionId), timespan);
    if (result.status !== 'Success') {
      const detail = result.status === 'PartialFailure' ? result.partialError.message : 'query failed';
      throw new RegateError('REGATE_ERR_REVIEW_SOURCE', `Log Analytics query of ${timespan.startTime.toISOString()}..${timespan.endTime.toISOString()}: ${detail}`);
    }
    const table = result.tables[0];
    const rows = table?.rows ?? [];
    if (rows.length > o.maxRows) {
      if (end - start <= 1) {
        throw new RegateError('REGATE_ERR_REVIEW_SOURCE', `more than ${o.maxRows} transcript rows in one millisecond at ${new Date(start).toISOString()}: raise audit.log_analytics.query_max_rows`);
      }
      const mid = start + Math.floor((end - start) / 2);
      pending.push([mid, end], [start, mid]);
      continue;
    }
    const columns = (table?.columnDescriptors ?? []).map((c) => c.name ?? '');
    for (const row of rows) yield rowToEvent(columns, row as unknown[]);
    covered += end - start;
    o.onWindow?.(covered, totalMs);
  }
}
