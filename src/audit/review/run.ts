/**
 * Runs an access review or a what-if over a source of recorded events: opens the source, streams
 * every event once through the aggregators, and returns the result. The CLI (src/cli/review.ts)
 * formats it; tests call these directly with SDK client options for the Azure fakes.
 */
import type { Config } from '../../config/schema.ts';
import { ReviewAggregator, inScope, type ReviewFilters } from './aggregate.ts';
import { loadOfflinePolicy } from './bundle-policy.ts';
import { MAX_EXAMPLES, type AccessReview, type UnapprovedFigures } from './model.ts';
import { openEvents, type EventSourceOptions } from './sources.ts';
import type { TimeRange } from './time-range.ts';
import { WhatIf, type WhatIfResult } from './whatif.ts';
import { TimelineBuilder, type SessionTimeline } from './replay.ts';

export interface RunOptions extends Omit<EventSourceOptions, 'audit'> {
  readonly config: Config;
  readonly filters?: ReviewFilters;
  /** A bundle to measure the recorded calls against (review: calls it would hold for approval). */
  readonly bundle?: string;
  readonly now?: Date;
}

/** The access review of the range. */
export async function runReview(o: RunOptions): Promise<AccessReview> {
  const filters = o.filters ?? {};
  const stream = await openEvents({ ...o, audit: o.config.audit });
  const aggregate = new ReviewAggregator(o.range, filters);
  const policy = o.bundle !== undefined ? await loadOfflinePolicy(o.config, o.baseDir, o.bundle) : undefined;
  let unapproved: UnapprovedFigures | undefined;
  let whatif: WhatIf | undefined;
  if (policy !== undefined) {
    const u: UnapprovedFigures = { bundle: o.bundle ?? '', revision: policy.revision, count: 0, examples: [] };
    unapproved = u;
    whatif = new WhatIf(policy.decide);
    whatif.onChange = (change, request, _recorded, d) => {
      if (change !== 'allow->approval') return;
      u.count++;
      if (u.examples.length < MAX_EXAMPLES) {
        u.examples.push({ time: request.time, connection: request.connection, principal_id: request.principal_id ?? '(anonymous)', tool: request.tool ?? request.method ?? '', rule: d.rule });
      }
    };
  }
  try {
    for await (const e of stream.events) {
      if (aggregate.add(e)) whatif?.add(e);
    }
  } finally {
    await policy?.stop();
  }
  const c = stream.counts;
  const review = aggregate.result({
    source: stream.label,
    events: { read: c.read, duplicates: c.duplicates, invalid: c.invalid, dedupe_window: c.dedupeWindow },
    now: o.now ?? new Date(),
  });
  if (unapproved !== undefined) review.summary.unapproved = unapproved;
  else review.summary.unapproved_note = 'calls that ran without approval where a later policy would ask for one: not computed (run with --bundle <new policy>)';
  return review;
}

export interface WhatIfReport extends WhatIfResult {
  bundle: string;
  revision: string;
  since: string;
  until: string;
  source: string;
  filters: ReviewFilters;
  events: { read: number; duplicates: number; invalid: number; dedupe_window: number };
}

/** The recorded decisions of the range the bundle would change. */
export async function runWhatIf(o: RunOptions & { readonly bundle: string }): Promise<WhatIfReport> {
  const filters = o.filters ?? {};
  const policy = await loadOfflinePolicy(o.config, o.baseDir, o.bundle);
  try {
    const stream = await openEvents({ ...o, audit: o.config.audit });
    const whatif = new WhatIf(policy.decide);
    for await (const e of stream.events) if (inScope(e, o.range as TimeRange, filters)) whatif.add(e);
    const c = stream.counts;
    return {
      bundle: o.bundle,
      revision: policy.revision,
      since: new Date(o.range.sinceMs).toISOString(),
      until: new Date(o.range.untilMs).toISOString(),
      source: stream.label,
      filters,
      events: { read: c.read, duplicates: c.duplicates, invalid: c.invalid, dedupe_window: c.dedupeWindow },
      ...whatif.result(),
    };
  } finally {
    await policy.stop();
  }
}

/** One session's timeline from the events of the range; undefined when the session has none there. */
export async function runReplay(o: RunOptions & { readonly sessionId: string; readonly maxEntries?: number }): Promise<SessionTimeline | undefined> {
  const stream = await openEvents({ ...o, audit: o.config.audit, sessionId: o.sessionId });
  const timeline = new TimelineBuilder(o.sessionId, o.maxEntries);
  for await (const e of stream.events) timeline.add(e);
  return timeline.result();
}

/** How far back `GET /sessions/{id}` looks: the file sink's retention (30 days unless configured). */
export function sessionLookback(config: Config): number {
  const days = config.audit.file.retain_days > 0 ? config.audit.file.retain_days : 30;
  return days * 86_400_000;
}

/** Reads a session's timeline from the configured transcripts (for `GET /sessions/{id}`). */
export function sessionReader(config: Config, baseDir: string): (sessionId: string) => Promise<SessionTimeline | undefined> {
  return (sessionId) => {
    const now = Date.now();
    return runReplay({ config, baseDir, source: 'auto', sessionId, range: { sinceMs: now - sessionLookback(config), untilMs: now + 60_000 } });
  };
}
