/**
 * Derives the input projection of a policy from its compiled plan (`opa build -t plan`, OPA's
 * intermediate representation, the same plan `opa build -t wasm` compiles to WebAssembly).
 *
 * The analysis is an over-approximation, so a projected input always decides exactly as the full
 * one. It tracks, for every local variable of every plan and function, which input paths it may
 * hold (flow-insensitively, to a fixpoint across calls):
 *   - `DotStmt` with a constant string key extends a path: `input.mcp.tool.name`;
 *   - assignments copy paths; calls to the policy's own functions pass them into parameters and
 *     back out through return values;
 *   - every other use of a local that holds an input path (a builtin call, a comparison, a scan,
 *     a length, building a value from it, a dynamic key) needs that value whole;
 *   - a path that is read but never looked into further is kept whole as well.
 * Anything the analysis does not understand (an unknown statement type, `with` on any local, a
 * dynamic call, a malformed plan) gives up: the policy then sees the whole input, as without a
 * projection. That is the only failure mode, and it is safe.
 */
import type { Projection } from './projection.ts';

export type PlanAnalysis =
  | { readonly projection: Projection; readonly paths: number }
  | { readonly projection: undefined; readonly reason: string };

type Path = readonly string[];
type Operand = { readonly type: string; readonly value: unknown };
type Stmt = { readonly type: string; readonly stmt: Record<string, unknown> };
type Block = { readonly stmts: readonly Stmt[] };
interface Func {
  readonly name: string;
  readonly params: readonly number[];
  readonly return: number;
  readonly blocks: readonly Block[];
}

const MAX_PATH_DEPTH = 32;
const MAX_ROUNDS = 200;

class GiveUp extends Error {}

function giveUp(reason: string): never {
  throw new GiveUp(reason);
}

/** Path sets are kept as JSON texts of the key arrays. */
const keyOf = (p: Path): string => JSON.stringify(p);
const pathOf = (k: string): Path => JSON.parse(k) as Path;

/** Input paths each local may hold at one program point; copied on write. */
type Env = ReadonlyMap<number, ReadonlySet<string>>;
const EMPTY: ReadonlySet<string> = new Set();

function joinEnv(a: Env, b: Env): Env {
  if (a === b) return a;
  const out = new Map(a);
  for (const [local, paths] of b) {
    const mine = out.get(local);
    if (mine === undefined) out.set(local, paths);
    else if (![...paths].every((p) => mine.has(p))) out.set(local, new Set([...mine, ...paths]));
  }
  return out;
}

function sameEnv(a: Env, b: Env): boolean {
  if (a.size !== b.size) return false;
  for (const [local, paths] of a) {
    const other = b.get(local);
    if (other === undefined || other.size !== paths.size || ![...paths].every((p) => other.has(p))) return false;
  }
  return true;
}

function setLocal(env: Env, local: number, paths: ReadonlySet<string>): Env {
  const out = new Map(env);
  if (paths.size === 0) out.delete(local);
  else out.set(local, paths);
  return out;
}

/**
 * Flow: statements in a block run in order, so an assignment replaces what a local held (the
 * planner reuses locals across rule bodies). A block may stop at any statement and execution
 * goes on after it, so what follows a block sees the union of every point inside it.
 */
class Analysis {
  readonly #strings: readonly string[];
  readonly #funcs = new Map<string, Func>();
  /** Per function: input paths its parameters may receive, and its return value may hold. */
  readonly #params = new Map<string, Map<number, Set<string>>>();
  readonly #returns = new Map<string, Set<string>>();
  /** Paths read through a DotStmt (and the root). */
  readonly accessed = new Set<string>([keyOf([])]);
  /** Paths whose value is needed whole. */
  readonly whole = new Set<string>();
  #changed = false;
  /** Return paths collected for the function being walked. */
  #currentReturns: Set<string> | undefined;
  /** Locals of the function being walked that more than one statement (or a loop) writes. */
  #rewritten: ReadonlySet<number> | undefined;

  constructor(plan: unknown) {
    const p = plan as { static?: { strings?: unknown }; funcs?: { funcs?: unknown }; plans?: { plans?: unknown } };
    const strings = p?.static?.strings;
    if (!Array.isArray(strings)) giveUp('the plan has no string table');
    this.#strings = strings.map((s: unknown) => {
      const v = (s as { value?: unknown })?.value;
      return typeof v === 'string' ? v : giveUp('the plan string table is malformed');
    });
    const funcs = p.funcs?.funcs ?? [];
    const plans = p.plans?.plans;
    if (!Array.isArray(funcs) || !Array.isArray(plans) || plans.length === 0) giveUp('the plan has no plans or functions');
    for (const f of funcs as Func[]) {
      if (typeof f?.name !== 'string' || !Array.isArray(f.params) || typeof f.return !== 'number' || !Array.isArray(f.blocks)) {
        giveUp('a plan function is malformed');
      }
      this.#funcs.set(f.name, f);
      this.#params.set(f.name, new Map());
      this.#returns.set(f.name, new Set());
    }
    for (const pl of plans as { blocks?: unknown }[]) if (!Array.isArray(pl?.blocks)) giveUp('a plan is malformed');
    // In a plan, local 0 is the input document and local 1 the data document (OPA's ir.Input, ir.Data).
    const planEntry: Env = new Map([[0, new Set([keyOf([])])]]);
    for (let round = 0; ; round++) {
      if (round >= MAX_ROUNDS) giveUp('the analysis did not converge');
      this.#changed = false;
      for (const pl of plans as { blocks: Block[] }[]) {
        this.#currentReturns = new Set();
        this.#rewritten = rewrittenLocals(pl.blocks);
        this.#blocks(pl.blocks, planEntry);
      }
      for (const f of this.#funcs.values()) {
        const entry: Env = new Map([...this.#params.get(f.name)!].filter(([, s]) => s.size > 0));
        this.#currentReturns = new Set();
        this.#rewritten = rewrittenLocals(f.blocks);
        const after = this.#blocks(f.blocks, entry);
        addAll(this.#currentReturns, after.get(f.return));
        this.#note(addAll(this.#returns.get(f.name)!, this.#currentReturns));
      }
      if (!this.#changed) break;
    }
  }

  #note(changed: boolean): boolean {
    if (changed) this.#changed = true;
    return changed;
  }

  #paths(op: unknown, env: Env): ReadonlySet<string> {
    const o = op as Operand;
    if (o?.type === 'local') return env.get(this.#local(o.value)) ?? EMPTY;
    if (o?.type === 'string_index' || o?.type === 'bool') return EMPTY;
    return giveUp(`unknown operand type ${String(o?.type)}`);
  }

  #local(v: unknown): number {
    return typeof v === 'number' ? v : giveUp('a statement names a local that is not a number');
  }

  /** The value an operand holds is needed whole (if it holds input paths). */
  #useWhole(op: unknown, env: Env): void {
    for (const p of this.#paths(op, env)) this.#note(add(this.whole, p));
  }

  #useLocalWhole(local: unknown, env: Env): void {
    this.#useWhole({ type: 'local', value: this.#local(local) }, env);
  }

  /** Runs blocks in sequence; returns the union of every point (what may hold afterwards). */
  #blocks(blocks: unknown, env: Env): Env {
    if (!Array.isArray(blocks)) giveUp('a block list is malformed');
    let may = env;
    for (const b of blocks) may = this.#block(b, may);
    return may;
  }

  #block(block: unknown, env: Env): Env {
    const stmts = (block as Block)?.stmts;
    if (!Array.isArray(stmts)) giveUp('a block is malformed');
    let now = env;
    let may = env;
    for (const s of stmts) {
      now = this.#stmt(s, now);
      may = joinEnv(may, now);
    }
    return may;
  }

  /** Applies one statement; returns the environment after it. */
  #stmt({ type, stmt: s }: Stmt, env: Env): Env {
    if (s === null || typeof s !== 'object') giveUp(`a ${type} is malformed`);
    switch (type) {
      case 'DotStmt': {
        const target = this.#local(s.target);
        const sources = this.#paths(s.source, env);
        const key = s.key as Operand;
        if (key?.type !== 'string_index' || typeof key.value !== 'number') {
          // A computed key is compared with every key of the collection, whatever the collection
          // is (data, a set the policy built, input): the key's value is needed whole. Looked up
          // in input (input.x[k]), it could select any member, so that is needed whole too.
          this.#useWhole(s.key, env);
          this.#useWhole(s.source, env);
          return setLocal(env, target, EMPTY);
        }
        if (sources.size === 0) return setLocal(env, target, EMPTY);
        const name = this.#strings[key.value] ?? giveUp('a string index is out of range');
        const targets = new Set<string>();
        for (const src of sources) {
          const path = [...pathOf(src), name];
          if (path.length > MAX_PATH_DEPTH) giveUp(`an input path is deeper than ${MAX_PATH_DEPTH}`);
          const k = keyOf(path);
          this.#note(add(this.accessed, k));
          targets.add(k);
        }
        return setLocal(env, target, targets);
      }
      case 'AssignVarStmt':
        return setLocal(env, this.#local(s.target), this.#paths(s.source, env));
      case 'AssignVarOnceStmt': {
        // OPA's "assign once" compares the new value with the one the target already holds (that
        // is how conflicting values of a complete rule are caught), so when the target can be
        // written more than once, both values are needed whole.
        const target = this.#local(s.target);
        if (this.#rewritten!.has(target)) {
          this.#useWhole(s.source, env);
          this.#useLocalWhole(target, env);
        }
        return setLocal(env, target, this.#paths(s.source, env));
      }
      case 'CallStmt': {
        const args = Array.isArray(s.args) ? (s.args as unknown[]) : giveUp('a CallStmt has no argument list');
        const f = typeof s.func === 'string' ? this.#funcs.get(s.func) : giveUp('a CallStmt names no function');
        const result = this.#local(s.result);
        if (f === undefined) {
          // A builtin: it may look at every part of its arguments.
          for (const a of args) this.#useWhole(a, env);
          return setLocal(env, result, EMPTY);
        }
        if (args.length !== f.params.length) giveUp(`a call to ${f.name} passes ${args.length} arguments for ${f.params.length} parameters`);
        const params = this.#params.get(f.name)!;
        args.forEach((a, i) => {
          const param = f.params[i]!;
          let set = params.get(param);
          if (set === undefined) params.set(param, (set = new Set()));
          this.#note(addAll(set, this.#paths(a, env)));
        });
        return setLocal(env, result, new Set(this.#returns.get(f.name)!));
      }
      case 'ReturnLocalStmt':
        addAll(this.#currentReturns!, env.get(this.#local(s.source)));
        return env;
      case 'BlockStmt':
        return this.#blocks(s.blocks, env);
      case 'NotStmt':
        return joinEnv(env, this.#block(s.block, env));
      case 'ScanStmt': {
        // Iterating a value reads every member of it; the members need no tracking.
        this.#useLocalWhole(s.source, env);
        let entry = setLocal(setLocal(env, this.#local(s.key), EMPTY), this.#local(s.value), EMPTY);
        for (let i = 0; ; i++) {
          if (i >= MAX_ROUNDS) giveUp('the analysis of a loop did not converge');
          const next = joinEnv(entry, this.#block(s.block, entry));
          if (sameEnv(next, entry)) return joinEnv(env, next);
          entry = next;
        }
      }
      case 'LenStmt':
        this.#useWhole(s.source, env);
        return setLocal(env, this.#local(s.target), EMPTY);
      case 'IsArrayStmt':
      case 'IsObjectStmt':
      case 'IsSetStmt':
        // A projected object keeps its type, but these checks are rare enough not to be worth
        // reasoning about: the value is kept whole.
        this.#useWhole(s.source, env);
        return env;
      case 'EqualStmt':
      case 'NotEqualStmt':
        this.#useWhole(s.a, env);
        this.#useWhole(s.b, env);
        return env;
      case 'ArrayAppendStmt':
      case 'SetAddStmt':
        this.#useWhole(s.value, env);
        return env;
      case 'ObjectInsertStmt':
      case 'ObjectInsertOnceStmt':
        this.#useWhole(s.key, env);
        this.#useWhole(s.value, env);
        return env;
      case 'ObjectMergeStmt':
        this.#useLocalWhole(s.a, env);
        this.#useLocalWhole(s.b, env);
        return setLocal(env, this.#local(s.target), EMPTY);
      case 'ResultSetAddStmt':
        this.#useLocalWhole(s.value, env);
        return env;
      case 'IsDefinedStmt':
      case 'IsUndefinedStmt':
        // Presence only: a projected path is present exactly when it is in the full input.
        return env;
      case 'BreakStmt':
      case 'NopStmt':
        return env;
      case 'ResetLocalStmt':
      case 'AssignIntStmt':
      case 'MakeNullStmt':
      case 'MakeNumberIntStmt':
      case 'MakeNumberRefStmt':
      case 'MakeArrayStmt':
      case 'MakeObjectStmt':
      case 'MakeSetStmt':
        return setLocal(env, this.#local(s.target), EMPTY);
      case 'WithStmt':
        return giveUp('the policy uses `with`');
      case 'CallDynamicStmt':
        return giveUp('the policy calls functions dynamically');
      default:
        return giveUp(`unknown plan statement ${type}`);
    }
  }
}

/**
 * Locals written by more than one statement, or by a statement inside a loop (a ScanStmt body
 * runs once per member). Resetting a local is not a write.
 */
function rewrittenLocals(blocks: unknown): ReadonlySet<number> {
  const writes = new Map<number, number>();
  const count = (local: unknown, times: number) => {
    if (typeof local === 'number') writes.set(local, (writes.get(local) ?? 0) + times);
  };
  const walk = (bs: unknown, times: number): void => {
    if (!Array.isArray(bs)) return;
    for (const b of bs as Block[]) {
      for (const { type, stmt: st } of Array.isArray(b?.stmts) ? b.stmts : []) {
        if (st === null || typeof st !== 'object') continue;
        if (type !== 'ResetLocalStmt') {
          count(st.target, times);
          count(st.result, times);
        }
        if (type === 'ScanStmt') {
          count(st.key, 2);
          count(st.value, 2);
          walk([st.block], 2);
        } else if (st.block !== undefined) {
          walk([st.block], times);
        }
        if (st.blocks !== undefined) walk(st.blocks, times);
      }
    }
  };
  walk(blocks, 1);
  return new Set([...writes].filter(([, n]) => n > 1).map(([local]) => local));
}

function add(set: Set<string>, v: string): boolean {
  if (set.has(v)) return false;
  set.add(v);
  return true;
}

function addAll(set: Set<string>, vs: Iterable<string> | undefined): boolean {
  let changed = false;
  for (const v of vs ?? []) changed = add(set, v) || changed;
  return changed;
}

/** Builds the projection tree: a path needed whole, or read without looking further, is `true`. */
function toProjection(accessed: ReadonlySet<string>, whole: ReadonlySet<string>): Projection {
  type Node = { whole: boolean; children: Map<string, Node> };
  const root: Node = { whole: false, children: new Map() };
  const nodeAt = (path: Path): Node => {
    let n = root;
    for (const k of path) {
      let next = n.children.get(k);
      if (next === undefined) n.children.set(k, (next = { whole: false, children: new Map() }));
      n = next;
    }
    return n;
  };
  for (const p of accessed) nodeAt(pathOf(p));
  for (const p of whole) nodeAt(pathOf(p)).whole = true;
  const build = (n: Node): Projection => {
    // The root read without looking into it (a policy that ignores its input) keeps nothing;
    // any other path read without looking further is kept whole.
    if (n.whole || (n.children.size === 0 && n !== root)) return true;
    const out: Record<string, Projection> = {};
    for (const [k, child] of [...n.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      Object.defineProperty(out, k, { value: build(child), enumerable: true });
    }
    return out;
  };
  return build(root);
}

/** Analyses a parsed plan.json; never throws. */
export function analyzePlan(plan: unknown): PlanAnalysis {
  let analysis: Analysis;
  try {
    analysis = new Analysis(plan);
  } catch (err) {
    if (err instanceof GiveUp) return { projection: undefined, reason: err.message };
    return { projection: undefined, reason: `the plan could not be analysed: ${(err as Error).message}` };
  }
  const projection = toProjection(analysis.accessed, analysis.whole);
  if (projection === true) return { projection: undefined, reason: 'the policy reads the input as a whole' };
  return { projection, paths: analysis.accessed.size - 1 };
}
