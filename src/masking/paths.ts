/**
 * The JSON paths of mask obligations: `$`, `.name`, `['name']`, `[*]`, `.*`, `[n]` (negative counts
 * from the end) and recursive descent `..name` / `..*` / `..[n]`. Filters and unions are not
 * supported: a path using them is refused (the caller fails closed).
 *
 * Paths are matched while the masker walks a message, as a tiny automaton: each node carries the
 * (path, step) states still alive, so one walk serves every path and unrelated subtrees cost nothing.
 */
import { RegateError } from '../errors.ts';

export type Selector = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'wild' };

export interface Step {
  /** `..`: the selector may match at any depth below. */
  readonly descend: boolean;
  readonly sel: Selector;
}

const NAME = /[A-Za-z_$@][\w$@-]*/y;
const INT = /-?\d+/y;

/** Parses one obligation path; throws REGATE_ERR_MASK_OBLIGATION naming what is wrong. */
export function parsePath(path: string): Step[] {
  const fail = (why: string): never => {
    throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `path ${JSON.stringify(path)}: ${why}`);
  };
  if (!path.startsWith('$')) fail('must start with $');
  const steps: Step[] = [];
  let i = 1;
  while (i < path.length) {
    let descend = false;
    if (path.startsWith('..', i)) {
      descend = true;
      i += 2;
    } else if (path[i] === '.') i += 1;
    else if (path[i] !== '[') fail(`unexpected ${JSON.stringify(path[i])} at ${i}`);
    if (path[i] === '[') {
      const close = bracketEnd(path, i, fail);
      steps.push({ descend, sel: bracket(path.slice(i + 1, close).trim(), fail) });
      i = close + 1;
      continue;
    }
    if (path[i] === '*') {
      steps.push({ descend, sel: { kind: 'wild' } });
      i += 1;
      continue;
    }
    NAME.lastIndex = i;
    const m = NAME.exec(path);
    if (!m) fail(`expected a name at ${i}`);
    steps.push({ descend, sel: { kind: 'name', name: (m as RegExpExecArray)[0] } });
    i += (m as RegExpExecArray)[0].length;
  }
  return steps;
}

function bracketEnd(path: string, open: number, fail: (why: string) => never): number {
  let quote = '';
  for (let i = open + 1; i < path.length; i++) {
    const c = path[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ']') return i;
  }
  return fail(`unclosed [ at ${open}`);
}

function bracket(inner: string, fail: (why: string) => never): Selector {
  if (inner === '*') return { kind: 'wild' };
  const q = inner[0];
  if ((q === "'" || q === '"') && inner.endsWith(q) && inner.length >= 2) {
    return { kind: 'name', name: inner.slice(1, -1).replace(/\\(.)/g, '$1') };
  }
  INT.lastIndex = 0;
  const m = INT.exec(inner);
  if (m && m[0].length === inner.length) return { kind: 'index', index: Number(inner) };
  return fail(`unsupported selector [${inner}] (filters, unions and slices are not supported)`);
}

/** A live automaton state: path number and the step it expects next, packed as one integer. */
export type States = readonly number[];
export const NO_STATES: States = [];
const STEP_BITS = 8;
export const MAX_STEPS = (1 << STEP_BITS) - 1;
export const packState = (path: number, step: number): number => (path << STEP_BITS) | step;

/** The result of stepping into a child: states alive below it, and paths that end exactly at it. */
export interface Advance {
  readonly states: States;
  readonly matched: readonly number[];
}
const NOTHING: Advance = { states: NO_STATES, matched: [] };

/** Advances `states` into the child `key` (an object key, or an array index of an array of `length`). */
export function advance(paths: readonly { readonly steps: readonly Step[] }[], states: States, key: string | number, length: number): Advance {
  if (states.length === 0) return NOTHING;
  let next: number[] | undefined;
  let matched: number[] | undefined;
  for (const st of states) {
    const p = st >> STEP_BITS;
    const s = st & MAX_STEPS;
    const steps = (paths[p] as { readonly steps: readonly Step[] }).steps;
    const step = steps[s] as Step;
    if (step.descend) (next ??= []).includes(st) || next.push(st);
    if (!selects(step.sel, key, length)) continue;
    if (s + 1 === steps.length) (matched ??= []).includes(p) || matched.push(p);
    else {
      const n = packState(p, s + 1);
      (next ??= []).includes(n) || next.push(n);
    }
  }
  return next === undefined && matched === undefined ? NOTHING : { states: next ?? NO_STATES, matched: matched ?? [] };
}

function selects(sel: Selector, key: string | number, length: number): boolean {
  switch (sel.kind) {
    case 'wild':
      return true;
    case 'name':
      return key === sel.name;
    case 'index':
      return typeof key === 'number' && (sel.index >= 0 ? key === sel.index : key === length + sel.index);
  }
}
