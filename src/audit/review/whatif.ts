/**
 * `regate whatif`: re-decides every recorded request against another policy and lists the calls
 * whose decision would change, grouped by change, rule and principal, with examples. Streaming:
 * a request waits (bounded, by call_id) only until its decision event, which the recorder writes
 * in the same batch right after it.
 */
import type { PolicyDecision } from '../../policy/decision.ts';
import type { PolicyInput } from '../../policy/input.ts';
import { maskSpecs } from '../build-events.ts';
import type { TranscriptEvent } from '../event.ts';
import { inputOfRequest } from './redecide.ts';

/** allow->deny, deny->allow, allow->approval, ..., or new-masks (same outcome, masks the recorded decision did not apply). */
export type ChangeKind = `${'allow' | 'deny' | 'approval'}->${'allow' | 'deny' | 'approval'}` | 'new-masks';

export interface ChangeExample {
  time: string;
  call_id: string;
  session_id: string;
  method: string;
  tool: string;
  old_rule: string;
  new_rule: string;
  new_reason: string;
  new_masks: string[];
}

export interface ChangeGroup {
  change: ChangeKind;
  /** The rule of the new decision. */
  rule: string;
  principal_id: string;
  connection: string;
  count: number;
  examples: ChangeExample[];
}

export interface WhatIfResult {
  /** Recorded requests re-decided. */
  decided: number;
  unchanged: number;
  /** Requests without a recorded decision in the window (or evicted while waiting for it). */
  unpaired: number;
  changed: number;
  by_change: Record<string, number>;
  groups: ChangeGroup[];
}

/** Examples kept per group. */
export const EXAMPLES_PER_GROUP = 3;
/** Requests waiting for their decision event; the recorder writes the pair together, so few wait. */
export const MAX_WAITING = 10_000;

export type Decide = (input: PolicyInput) => PolicyDecision;

/** Folds recorded events into the changes another policy would make. */
export class WhatIf {
  readonly #decide: Decide;
  readonly #waiting = new Map<string, { request: TranscriptEvent; sessionCalls: number }>();
  readonly #sessionCalls = new Map<string, number>();
  readonly #groups = new Map<string, ChangeGroup>();
  readonly #byChange: Record<string, number> = {};
  #decided = 0;
  #unchanged = 0;
  #unpaired = 0;
  /** Called for every change (review counts the calls a new policy would hold for approval). */
  onChange: ((change: ChangeKind, request: TranscriptEvent, recorded: TranscriptEvent, d: PolicyDecision) => void) | undefined;

  constructor(decide: Decide) {
    this.#decide = decide;
  }

  add(e: TranscriptEvent): void {
    if (e.call_id === undefined) return;
    if (e.kind === 'request' && (e.direction ?? 'client_to_server') === 'client_to_server') {
      let calls = 0;
      if (e.session_id !== undefined) {
        calls = this.#sessionCalls.get(e.session_id) ?? 0;
        if (e.method === 'tools/call') this.#sessionCalls.set(e.session_id, calls + 1);
      }
      this.#waiting.set(e.call_id, { request: e, sessionCalls: calls });
      if (this.#waiting.size > MAX_WAITING) {
        const oldest = this.#waiting.keys().next().value;
        if (oldest !== undefined) this.#waiting.delete(oldest);
        this.#unpaired++;
      }
      return;
    }
    if (e.kind !== 'decision' || e.decision === undefined) return;
    const w = this.#waiting.get(e.call_id);
    if (w === undefined) return;
    this.#waiting.delete(e.call_id);
    this.#judge(w.request, w.sessionCalls, e);
  }

  #judge(request: TranscriptEvent, sessionCalls: number, recorded: TranscriptEvent): void {
    const d = this.#decide(inputOfRequest(request, sessionCalls));
    this.#decided++;
    const before = recorded.decision!;
    const newMasks = d.mask ? maskSpecs(d.mask).filter((m) => !(recorded.masks ?? []).includes(m)) : [];
    let change: ChangeKind | undefined;
    if (d.outcome !== before) change = `${before}->${d.outcome}`;
    else if (d.outcome !== 'deny' && newMasks.length > 0) change = 'new-masks';
    if (change === undefined) {
      this.#unchanged++;
      return;
    }
    this.#byChange[change] = (this.#byChange[change] ?? 0) + 1;
    const principal = request.principal_id ?? '(anonymous)';
    const key = [change, d.rule, principal, request.connection].join('\u0000');
    let g = this.#groups.get(key);
    if (g === undefined) {
      g = { change, rule: d.rule, principal_id: principal, connection: request.connection, count: 0, examples: [] };
      this.#groups.set(key, g);
    }
    g.count++;
    if (g.examples.length < EXAMPLES_PER_GROUP) {
      g.examples.push({
        time: request.time,
        call_id: request.call_id ?? '',
        session_id: request.session_id ?? '',
        method: request.method ?? '',
        tool: request.tool ?? '',
        old_rule: recorded.rule ?? '',
        new_rule: d.rule,
        new_reason: d.reason,
        new_masks: newMasks,
      });
    }
    this.onChange?.(change, request, recorded, d);
  }

  result(): WhatIfResult {
    const groups = [...this.#groups.values()].sort(
      (a, b) => a.change.localeCompare(b.change) || a.rule.localeCompare(b.rule) || a.principal_id.localeCompare(b.principal_id) || a.connection.localeCompare(b.connection),
    );
    return {
      decided: this.#decided,
      unchanged: this.#unchanged,
      unpaired: this.#unpaired + this.#waiting.size,
      changed: groups.reduce((n, g) => n + g.count, 0),
      by_change: Object.fromEntries(Object.entries(this.#byChange).sort(([a], [b]) => a.localeCompare(b))),
      groups,
    };
  }
}
