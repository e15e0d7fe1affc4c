/**
 * A mask plan: the obligations of one decision compiled once (paths parsed, detectors resolved,
 * styles merged) and reused for every message of the call. The same decision repeats for every call
 * of a tool, so a planner caches plans by their obligations.
 */
import { RegateError } from '../errors.ts';
import type { MaskObligation } from '../policy/decision.ts';
import type { CustomDetector } from './custom.ts';
import { MAX_STEPS, packState, parsePath, type States, type Step } from './paths.ts';
import { ALL_BUILTIN, BUILTIN_DETECTORS, DET, type BuiltinDetector } from './scanner.ts';
import { createHasher, stricter, type Hasher, type MaskStyle } from './styles.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, type BinaryPolicy } from './config.ts';

/** One compiled path obligation. */
export interface PathMask {
  /** The obligation's path as written: the key its counts are reported under. */
  readonly key: string;
  readonly steps: readonly Step[];
  readonly style: MaskStyle;
  /** Shown in the mask (`[REDACTED:email]`): the path's last name, or `value`. */
  readonly label: string;
}

export interface MaskPlan {
  /** Cache key: the obligations this plan was compiled from. */
  readonly key: string;
  /** Whether the plan masks anything; a plan that neither masks nor observes changes nothing. */
  readonly masks: boolean;
  readonly observe: boolean;
  readonly paths: readonly PathMask[];
  /** Automaton states at a message root (result or params). */
  readonly rootStates: States;
  /** States at the root of JSON embedded in text: each path as written, and without `$.structuredContent`. */
  readonly embeddedStates: States;
  /**
   * Every path means the same at a tool result's structuredContent as at the root of its JSON text
   * twin (`$.structuredContent.x`, or `$..x` for a name x other than structuredContent), so the
   * twin may reuse the structured masking (mask.ts).
   */
  readonly twinSafe: boolean;
  /** Paths that select a root itself (`$`). */
  readonly rootPaths: readonly number[];
  readonly detectorStyles: ReadonlyMap<string, MaskStyle>;
  /** Every detector the plan runs is also masked (no observe-only detectors): hits need no sorting out. */
  readonly allActive: boolean;
  /** DET bits of the built-in detectors to run (the active ones, or all when observing). */
  readonly scanBits: number;
  /** Custom detectors to run (the active ones, or all when observing). */
  readonly custom: readonly CustomDetector[];
  /** HMAC of the hash style (remembers recent values: the plan is shared by every call of a decision). */
  readonly hash: Hasher;
  readonly maxMessageBytes: number;
  /** Withhold images, audio and resource blobs (only when the plan masks: observing alone changes nothing). */
  readonly withholdBinary: boolean;
}

export interface PlanOptions {
  /** From the bundle's `data.regate.masking.detectors` (see custom.ts). */
  readonly customDetectors?: readonly CustomDetector[];
  readonly hashKey: Uint8Array | string;
  /** Count detector hits left in clear (default true). */
  readonly observe?: boolean;
  readonly maxMessageBytes?: number;
  /** Binary content under a mask obligation (default withhold). */
  readonly binary?: BinaryPolicy;
}

/** Compiles obligations into a plan; throws REGATE_ERR_MASK_OBLIGATION for one it cannot apply (fail closed). */
export function compileMaskPlan(obligations: readonly MaskObligation[] | undefined, options: PlanOptions): MaskPlan {
  const list = obligations ?? [];
  const custom = options.customDetectors ?? [];
  const known = new Set<string>([...BUILTIN_DETECTORS, ...custom.map((d) => d.name)]);
  const detectorStyles = new Map<string, MaskStyle>();
  const byPath = new Map<string, MaskStyle>();
  for (const o of list) {
    if ('detector' in o) {
      if (!known.has(o.detector)) throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `unknown detector ${JSON.stringify(o.detector)}`);
      const had = detectorStyles.get(o.detector);
      detectorStyles.set(o.detector, had ? stricter(had, o.style) : o.style);
    } else {
      const had = byPath.get(o.path);
      byPath.set(o.path, had ? stricter(had, o.style) : o.style);
    }
  }
  const paths: PathMask[] = [];
  for (const [key, style] of byPath) {
    const steps = parsePath(key);
    if (steps.length > MAX_STEPS - 1) throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `path ${JSON.stringify(key)}: too many steps`);
    paths.push({ key, steps, style, label: labelOf(steps) });
  }
  // The text twin of structuredContent is its JSON, so `$.structuredContent.x` also means `$.x` there.
  const embeddedPaths = [...paths];
  for (const p of paths) {
    const first = p.steps[0];
    if (p.steps.length > 1 && first && !first.descend && first.sel.kind === 'name' && first.sel.name === 'structuredContent') {
      embeddedPaths.push({ ...p, steps: p.steps.slice(1) });
    }
  }
  const observe = options.observe ?? true;
  let activeBits = 0;
  for (const name of detectorStyles.keys()) activeBits |= DET[name as BuiltinDetector] ?? 0;
  return {
    key: planKey(list),
    masks: list.length > 0,
    observe,
    paths: embeddedPaths,
    rootStates: paths.flatMap((p, i) => (p.steps.length > 0 ? [packState(i, 0)] : [])),
    embeddedStates: embeddedPaths.flatMap((p, i) => (p.steps.length > 0 ? [packState(i, 0)] : [])),
    twinSafe: paths.every(sameInTwin),
    rootPaths: paths.flatMap((p, i) => (p.steps.length === 0 ? [i] : [])),
    detectorStyles,
    allActive: !observe || [...BUILTIN_DETECTORS, ...custom.map((d) => d.name)].every((d) => detectorStyles.has(d)),
    scanBits: observe ? ALL_BUILTIN : activeBits,
    custom: observe ? custom : custom.filter((d) => detectorStyles.has(d.name)),
    hash: createHasher(options.hashKey),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    withholdBinary: list.length > 0 && (options.binary ?? 'withhold') === 'withhold',
  };
}

/** The fail-closed plan: every built-in and custom detector, redacted. */
export function maskAllPlan(options: PlanOptions): MaskPlan {
  const names = [...BUILTIN_DETECTORS, ...(options.customDetectors ?? []).map((d) => d.name)];
  return compileMaskPlan(
    names.map((detector) => ({ detector, style: 'redact' as const })),
    options,
  );
}

function sameInTwin(p: PathMask): boolean {
  const first = p.steps[0];
  if (!first || first.sel.kind !== 'name') return false;
  if (first.descend) return first.sel.name !== 'structuredContent';
  return first.sel.name === 'structuredContent' && p.steps.length > 1;
}

function labelOf(steps: readonly Step[]): string {
  for (let i = steps.length - 1; i >= 0; i--) {
    const sel = (steps[i] as Step).sel;
    if (sel.kind === 'name') return sel.name.replace(/[^A-Za-z0-9_-]/g, '_') || 'value';
  }
  return 'value';
}

const planKey = (obligations: readonly MaskObligation[]): string => JSON.stringify(obligations);

/** Compiles plans for one bundle and configuration, caching them by their obligations. */
export interface MaskPlanner {
  /** The plan for a decision's `mask` obligations (cached); throws REGATE_ERR_MASK_OBLIGATION. */
  plan(obligations: readonly MaskObligation[] | undefined): MaskPlan;
  /** The fail-closed plan (every detector, redact). */
  readonly all: MaskPlan;
}

/** A planner with a bounded plan cache; make a new one when the bundle (custom detectors) changes. */
export function createMaskPlanner(options: PlanOptions, maxCached = 512): MaskPlanner {
  const cache = new Map<string, MaskPlan>();
  return {
    plan(obligations) {
      const key = planKey(obligations ?? []);
      const hit = cache.get(key);
      if (hit) return hit;
      const plan = compileMaskPlan(obligations, options);
      if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
      cache.set(key, plan);
      return plan;
    },
    all: maskAllPlan(options),
  };
}
