/**
 * Folds transcript events into an access review, one event at a time: memory grows with the
 * number of principals, connections, tools, rules, detectors, sessions and approvals, never with the number
 * of events. Pure: the caller reads the events (file, Log Analytics) and deduplicates them.
 */
import type { TranscriptEvent } from '../event.ts';
import { MAX_EXAMPLES, type AccessReview, type PrincipalReview, type ReviewSummary, type TimelinePoint } from './model.ts';
import type { TimeRange } from './time-range.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface ReviewFilters {
  readonly connection?: string;
  readonly principal?: string;
}

interface Pair {
  review: PrincipalReview;
  sessions: Set<string>;
  /** Approval ids counted as requested, and as decided: each approval counts once, however many calls it covers. */
  requested: Set<string>;
  decided: Set<string>;
  firstMs: number;
  lastMs: number;
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  if (from === undefined) return;
  for (const [k, v] of Object.entries(from)) if (typeof v === 'number' && v > 0) bump(into, k, v);
}

function sorted(map: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}

function total(map: Record<string, number>): number {
  return Object.values(map).reduce((a, b) => a + b, 0);
}

/** True when `e` is within the range and matches the filters. */
export function inScope(e: TranscriptEvent, range: TimeRange, filters: ReviewFilters): boolean {
  const t = Date.parse(e.time);
  if (!(t >= range.sinceMs && t < range.untilMs)) return false;
  if (filters.connection !== undefined && e.connection !== filters.connection) return false;
  if (filters.principal !== undefined && e.principal_id !== filters.principal && e.principal_name !== filters.principal) return false;
  return true;
}

export class ReviewAggregator {
  readonly #range: TimeRange;
  readonly #filters: ReviewFilters;
  readonly #pairs = new Map<string, Pair>();
  readonly #bucketMs: number;
  readonly #timeline: { calls: number; denials: number }[];

  constructor(range: TimeRange, filters: ReviewFilters = {}) {
    this.#range = range;
    this.#filters = filters;
    // Hourly points for a review of up to three days, daily points beyond.
    this.#bucketMs = range.untilMs - range.sinceMs <= 3 * DAY_MS ? HOUR_MS : DAY_MS;
    const first = Math.floor(range.sinceMs / this.#bucketMs);
    const last = Math.floor((range.untilMs - 1) / this.#bucketMs);
    this.#timeline = Array.from({ length: last - first + 1 }, () => ({ calls: 0, denials: 0 }));
  }

  /** Adds one (deduplicated) event; events outside the range or filters are ignored. Returns whether it counted. */
  add(e: TranscriptEvent): boolean {
    if (!inScope(e, this.#range, this.#filters)) return false;
    const t = Date.parse(e.time);
    const pair = this.#pair(e);
    if (t < pair.firstMs) pair.firstMs = t;
    if (t > pair.lastMs) pair.lastMs = t;
    if (e.session_id) pair.sessions.add(e.session_id);
    const r = pair.review;
    const point = this.#timeline[Math.floor(t / this.#bucketMs) - Math.floor(this.#range.sinceMs / this.#bucketMs)];
    switch (e.kind) {
      case 'request':
        r.calls++;
        if (point) point.calls++;
        if (e.method === 'tools/call' && e.tool !== undefined) bump(r.tools, e.tool);
        break;
      case 'decision':
        if (e.decision === 'deny') {
          r.denials++;
          bump(r.denials_by_rule, e.rule ?? '(none)');
          if (point) point.denials++;
        } else if (e.decision === 'approval' && e.approval_id !== undefined) this.#requested(pair, e.approval_id);
        break;
      case 'approval':
        if (e.approval_id !== undefined) this.#requested(pair, e.approval_id);
        this.#approval(pair, e);
        break;
      case 'response':
        addCounts(r.masked, e.masked);
        addCounts(r.exposed, e.exposed);
        break;
      case 'error':
        r.errors++;
        break;
      case 'session':
        break;
    }
    return true;
  }

  /**
   * Counts an approval request once per approval id, from its decision or approval events (an
   * async approval's retries, a held call's events). A decision for approval without an id asked
   * nobody (shadow mode, a 2026 call first asked for its justification, a refused call): not counted.
   */
  #requested(pair: Pair, id: string): void {
    if (pair.requested.has(id)) return;
    pair.requested.add(id);
    pair.review.approvals.requested++;
  }

  #approval(pair: Pair, e: TranscriptEvent): void {
    const a = pair.review.approvals;
    // Pending snapshots carry no decision; only a decided approval counts, once. `used` is an
    // approval whose grant the call spent (a held call's approval is spent before it is answered).
    const status = e.approval_status;
    if (status !== 'approved' && status !== 'used' && status !== 'denied' && status !== 'expired') return;
    if (e.approval_id !== undefined) {
      if (pair.decided.has(e.approval_id)) return;
      pair.decided.add(e.approval_id);
    }
    if (status === 'approved' || status === 'used') a.granted++;
    else if (status === 'denied') a.denied++;
    else if (e.approval_status === 'expired') a.expired++;
    else return;
    const names = e.approvers?.map((x) => x.name) ?? (e.approver ? e.approver.split(',').map((s) => s.trim()) : []);
    for (const n of names) if (n) bump(a.approvers, n);
    if (e.justification && a.justifications.length < MAX_EXAMPLES) a.justifications.push(e.justification);
  }

  #pair(e: TranscriptEvent): Pair {
    const id = e.principal_id ?? '(anonymous)';
    const key = `${e.connection}\u0000${id}`;
    let p = this.#pairs.get(key);
    if (p === undefined) {
      p = {
        review: {
          connection: e.connection,
          principal_id: id,
          principal_name: e.principal_name ?? '',
          principal_type: e.principal_type ?? '',
          calls: 0,
          tools: {},
          denials: 0,
          denials_by_rule: {},
          approvals: { requested: 0, granted: 0, denied: 0, expired: 0, approvers: {}, justifications: [] },
          masked: {},
          exposed: {},
          errors: 0,
          sessions: 0,
          first_seen: '',
          last_seen: '',
        },
        sessions: new Set(),
        requested: new Set(),
        decided: new Set(),
        firstMs: Infinity,
        lastMs: -Infinity,
      };
      this.#pairs.set(key, p);
    } else if (!p.review.principal_name && e.principal_name) {
      p.review.principal_name = e.principal_name;
      p.review.principal_type = e.principal_type ?? p.review.principal_type;
    }
    return p;
  }

  /** The review of everything added so far. */
  result(meta: { source: string; events: AccessReview['events']; now: Date }): AccessReview {
    const principals = [...this.#pairs.values()]
      .map((p) => ({
        ...p.review,
        tools: sorted(p.review.tools),
        denials_by_rule: sorted(p.review.denials_by_rule),
        masked: sorted(p.review.masked),
        exposed: sorted(p.review.exposed),
        approvals: { ...p.review.approvals, approvers: sorted(p.review.approvals.approvers) },
        sessions: p.sessions.size,
        first_seen: new Date(p.firstMs).toISOString(),
        last_seen: new Date(p.lastMs).toISOString(),
      }))
      .sort((a, b) => a.connection.localeCompare(b.connection) || a.principal_id.localeCompare(b.principal_id));
    const masked: Record<string, number> = {};
    const exposed: Record<string, number> = {};
    for (const p of principals) {
      addCounts(masked, p.masked);
      addCounts(exposed, p.exposed);
    }
    const sum = (f: (p: PrincipalReview) => number) => principals.reduce((a, p) => a + f(p), 0);
    const summary: ReviewSummary = {
      principals: new Set(principals.map((p) => p.principal_id)).size,
      connections: new Set(principals.map((p) => p.connection)).size,
      calls: sum((p) => p.calls),
      tool_calls: sum((p) => total(p.tools)),
      denials: sum((p) => p.denials),
      approvals_requested: sum((p) => p.approvals.requested),
      approvals_granted: sum((p) => p.approvals.granted),
      approvals_denied: sum((p) => p.approvals.denied),
      errors: sum((p) => p.errors),
      // A session belongs to one principal on one connection, so the per-pair counts add up.
      sessions: sum((p) => p.sessions),
      masked: sorted(masked),
      exposed: sorted(exposed),
      masked_total: total(masked),
      exposed_total: total(exposed),
    };
    const origin = Math.floor(this.#range.sinceMs / this.#bucketMs) * this.#bucketMs;
    const points: TimelinePoint[] = this.#timeline.map((p, i) => ({ start: new Date(origin + i * this.#bucketMs).toISOString(), ...p }));
    return {
      generated_at: meta.now.toISOString(),
      since: new Date(this.#range.sinceMs).toISOString(),
      until: new Date(this.#range.untilMs).toISOString(),
      filters: { ...this.#filters },
      source: meta.source,
      events: meta.events,
      summary,
      timeline: { bucket: this.#bucketMs === HOUR_MS ? 'hour' : 'day', points },
      principals,
    };
  }
}
