/**
 * Where `regate review`, `replay` and `whatif` read recorded events from: the file sink (rotated
 * files included) or Log Analytics through the Logs query API. `auto` reads the file sink when it
 * is configured, else Log Analytics. Deduplication on `event_id` happens here, with a bounded
 * window (recent-ids.ts), so every reader sees each event once.
 */
import { isAbsolute, resolve } from 'node:path';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import type { AuditConfig } from '../config.ts';
import type { TranscriptEvent } from '../event.ts';
import { createCredential, type AzureClientOptions } from '../log-analytics-sink.ts';
import { RegateError } from '../../errors.ts';
import { readTranscriptFiles, transcriptFiles } from './file-source.ts';
import { readLogAnalytics } from './log-analytics-source.ts';
import { RecentIds } from './recent-ids.ts';
import type { Progress } from './progress.ts';
import type { TimeRange } from './time-range.ts';

export const SOURCE_NAMES = ['auto', 'file', 'log-analytics'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export interface EventSourceOptions {
  readonly audit: AuditConfig;
  /** Relative transcript paths resolve against it (the config file's directory). */
  readonly baseDir: string;
  readonly range: TimeRange;
  readonly source: SourceName;
  /** Azure SDK client options (tests trust a fake's CA with them). */
  readonly azure?: AzureClientOptions;
  /** A query client to use instead of building one from the config. */
  readonly queryClient?: Pick<LogsQueryClient, 'queryWorkspace'>;
  readonly progress?: Progress;
  readonly dedupeCapacity?: number;
  /**
   * Only one session is wanted (replay): Log Analytics filters by it, the file reader parses only
   * the lines that name it. Events of other sessions may still come through: readers filter.
   */
  readonly sessionId?: string;
}

/** Counts kept while reading. */
export interface ReadCounts {
  read: number;
  duplicates: number;
  invalid: number;
  dedupeWindow: number;
}

export interface EventStream {
  /** Human-readable description of where events come from. */
  readonly label: string;
  readonly counts: ReadCounts;
  readonly events: AsyncGenerator<TranscriptEvent>;
}

/** Builds the Logs query client of `audit.log_analytics` (credential as for uploads). */
export function createQueryClient(audit: AuditConfig, azure: AzureClientOptions = {}): LogsQueryClient {
  const la = audit.log_analytics;
  if (la === undefined) throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'audit.log_analytics: required to read transcripts from Log Analytics');
  return new LogsQueryClient(createCredential(la.credential, azure), {
    ...azure,
    ...(la.query_endpoint !== undefined ? { endpoint: la.query_endpoint } : {}),
  });
}

/** Which source `auto` means for this configuration. */
export function resolveSource(audit: AuditConfig, source: SourceName): 'file' | 'log-analytics' {
  if (source !== 'auto') return source;
  return audit.sinks.includes('file') || audit.log_analytics?.workspace_id === undefined ? 'file' : 'log-analytics';
}

/** Opens the configured source: deduplicated events of the range (not yet filtered by principal or connection). */
export async function openEvents(o: EventSourceOptions): Promise<EventStream> {
  const counts: ReadCounts = { read: 0, duplicates: 0, invalid: 0, dedupeWindow: 0 };
  const seen = new RecentIds(o.dedupeCapacity);
  counts.dedupeWindow = seen.capacity;
  const which = resolveSource(o.audit, o.source);
  let label: string;
  let raw: AsyncGenerator<TranscriptEvent | undefined>;
  if (which === 'file') {
    const path = isAbsolute(o.audit.file.path) ? o.audit.file.path : resolve(o.baseDir, o.audit.file.path);
    const files = await transcriptFiles(path, o.range);
    const total = files.reduce((a, f) => a + f.bytes, 0);
    label = `file ${path} (${files.length} file${files.length === 1 ? '' : 's'})`;
    raw = readTranscriptFiles(files, (bytes) => o.progress?.update(bytes, total, counts.read), o.sessionId);
  } else {
    const la = o.audit.log_analytics;
    if (la?.workspace_id === undefined) {
      throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'audit.log_analytics.workspace_id: required to read transcripts from Log Analytics');
    }
    label = `log-analytics workspace ${la.workspace_id} table ${la.table}`;
    raw = readLogAnalytics({
      client: o.queryClient ?? createQueryClient(o.audit, o.azure),
      workspaceId: la.workspace_id,
      table: la.table,
      range: o.range,
      windowMs: la.query_window_hours * 3_600_000,
      maxRows: la.query_max_rows,
      ...(o.sessionId !== undefined ? { sessionId: o.sessionId } : {}),
      onWindow: (covered, total) => o.progress?.update(covered, total, counts.read),
    });
  }
  async function* events(): AsyncGenerator<TranscriptEvent> {
    try {
      for await (const e of raw) {
        if (e === undefined) {
          counts.invalid++;
          continue;
        }
        const t = Date.parse(e.time);
        if (!(t >= o.range.sinceMs && t < o.range.untilMs)) continue;
        if (!seen.add(e.event_id)) {
          counts.duplicates++;
          continue;
        }
        counts.read++;
        yield e;
      }
    } finally {
      o.progress?.finish();
    }
  }
  return { label, counts, events: events() };
}
