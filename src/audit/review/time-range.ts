/**
 * The time range of a review: `--since 30d` / `--until 2026-11-01T00:00:00Z`. A value is either a
 * duration before `now` (`90s`, `15m`, `12h`, `30d`, `2w`) or an RFC 3339 / ISO 8601 date.
 */
import { RegateError } from '../../errors.ts';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export interface TimeRange {
  /** Inclusive, milliseconds since the epoch. */
  readonly sinceMs: number;
  /** Exclusive, milliseconds since the epoch. */
  readonly untilMs: number;
}

/** A point in time from a duration before `nowMs` or an ISO date; throws REGATE_ERR_CONFIG_INVALID otherwise. */
export function parseInstant(value: string, nowMs: number, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim());
  if (m !== null) return nowMs - Number(m[1]) * (UNIT_MS[m[2] ?? 'd'] ?? 0);
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(t)) return t;
  throw new RegateError('REGATE_ERR_CONFIG_INVALID', `${flag} ${value}: expected a duration (90s, 15m, 12h, 30d, 2w) or an ISO date`);
}

/** The range `[since, until)`; `until` defaults to now. */
export function parseTimeRange(since: string, until: string | undefined, nowMs: number): TimeRange {
  const sinceMs = parseInstant(since, nowMs, '--since');
  const untilMs = until === undefined ? nowMs : parseInstant(until, nowMs, '--until');
  if (untilMs <= sinceMs) throw new RegateError('REGATE_ERR_CONFIG_INVALID', `--until must be after --since`);
  return { sinceMs, untilMs };
}
