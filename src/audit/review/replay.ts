/**
 * One session's timeline (`regate replay`, `GET /sessions/{id}`): every recorded event of the
 * session in time order: requests with their (redacted) arguments, decisions with rule and
 * reason, approvals, responses as the client received them (masked), and errors, with the time
 * from the session's first event and each event's own latency. At most `maxEntries` entries are
 * kept (a runaway session cannot exhaust memory); `truncated` says when more were recorded.
 */
import type { TranscriptEvent } from '../event.ts';

export interface TimelineEntry {
  time: string;
  /** Milliseconds since the session's first event. */
  offset_ms: number;
  kind: TranscriptEvent['kind'];
  event_id: string;
  call_id?: string;
  method?: string;
  tool?: string;
  arguments?: unknown;
  decision?: string;
  rule?: string;
  reason?: string;
  approval_id?: string;
  approval_status?: string;
  approver?: string;
  justification?: string;
  masked?: Record<string, number>;
  exposed?: Record<string, number>;
  error_code?: string;
  latency_ms?: number;
  bytes?: number;
  content?: unknown;
}

export interface SessionTimeline {
  session_id: string;
  connection: string;
  principal_id: string;
  principal_name: string;
  first_seen: string;
  last_seen: string;
  events: number;
  truncated: boolean;
  entries: TimelineEntry[];
}

export const DEFAULT_MAX_ENTRIES = 10_000;

const COPIED = ['call_id', 'method', 'tool', 'arguments', 'decision', 'rule', 'reason', 'approval_id', 'approval_status', 'approver', 'justification', 'masked', 'exposed', 'error_code', 'latency_ms', 'bytes', 'content'] as const;

/** Collects the events of one session; `undefined` from `result()` when none was seen. */
export class TimelineBuilder {
  readonly #sessionId: string;
  readonly #max: number;
  readonly #events: TranscriptEvent[] = [];
  #count = 0;

  constructor(sessionId: string, maxEntries = DEFAULT_MAX_ENTRIES) {
    this.#sessionId = sessionId;
    this.#max = maxEntries;
  }

  add(e: TranscriptEvent): void {
    if (e.session_id !== this.#sessionId) return;
    this.#count++;
    if (this.#events.length < this.#max) this.#events.push(e);
  }

  result(): SessionTimeline | undefined {
    if (this.#events.length === 0) return undefined;
    // Stable sort: events of one write share a millisecond and keep their recorded order.
    const events = [...this.#events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const first = events[0]!;
    const t0 = Date.parse(first.time);
    const owner = events.find((e) => e.principal_id !== undefined) ?? first;
    return {
      session_id: this.#sessionId,
      connection: first.connection,
      principal_id: owner.principal_id ?? '',
      principal_name: owner.principal_name ?? '',
      first_seen: first.time,
      last_seen: events.at(-1)!.time,
      events: this.#count,
      truncated: this.#count > events.length,
      entries: events.map((e) => {
        const entry: TimelineEntry = { time: e.time, offset_ms: Date.parse(e.time) - t0, kind: e.kind, event_id: e.event_id };
        for (const k of COPIED) if (e[k] !== undefined) (entry as unknown as Record<string, unknown>)[k] = e[k];
        return entry;
      }),
    };
  }
}

function brief(v: unknown, max = 160): string {
  if (v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

const counts = (m: Record<string, number> | undefined) => (m && Object.keys(m).length ? Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',') : '');

/** The timeline as text, one line per event. */
export function formatTimeline(t: SessionTimeline): string {
  const lines = [
    `session ${t.session_id} on ${t.connection} by ${t.principal_name || t.principal_id} (${t.principal_id})`,
    `${t.first_seen} .. ${t.last_seen}, ${t.events} events${t.truncated ? ` (first ${t.entries.length} shown)` : ''}`,
    '',
  ];
  for (const e of t.entries) {
    const at = `+${(e.offset_ms / 1000).toFixed(3)}s`.padStart(10);
    const what = [e.method, e.tool].filter(Boolean).join(' ');
    let detail = '';
    switch (e.kind) {
      case 'request':
        detail = e.arguments !== undefined ? `args ${brief(e.arguments)}` : '';
        break;
      case 'decision':
        detail = `${e.decision} by ${e.rule}${e.reason ? `: ${brief(e.reason, 120)}` : ''}`;
        break;
      case 'approval':
        detail = `${e.approval_id ?? ''} ${e.approval_status ?? ''}${e.approver ? ` by ${e.approver}` : ''}${e.justification ? ` ("${brief(e.justification, 120)}")` : ''}`;
        break;
      case 'response':
        detail = [counts(e.masked) && `masked ${counts(e.masked)}`, counts(e.exposed) && `exposed ${counts(e.exposed)}`, brief(e.content)].filter(Boolean).join(' ');
        break;
      case 'error':
        detail = `${e.error_code ?? ''} ${brief(e.reason ?? '', 120)}`;
        break;
      case 'session':
        break;
    }
    const latency = e.latency_ms !== undefined ? ` [${Math.round(e.latency_ms * 1000) / 1000} ms]` : '';
    lines.push(`${at}  ${e.kind.padEnd(8)} ${what}${what ? '  ' : ''}${detail}${latency}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
