/**
 * Input projection: the part of the policy input a compiled policy can read, and a serialiser
 * that writes only that part.
 *
 * Why: OPA's WASM runtime parses the whole input JSON on every evaluation, byte by byte, before
 * the first rule runs. For a tools/call with 1 KB of arguments that parse was a third of the
 * decision's cost, yet the default policy never reads the arguments. The bundle build derives,
 * from the policy's own compiled plan, which input paths it can reach (analyze-plan.ts) and
 * records them in the signed manifest; the engine then hands the WASM module only those paths.
 * A policy that reads something as a whole (iterates it, compares it, passes it to a builtin)
 * gets that whole subtree, so decisions are identical to evaluating the full input.
 *
 * Shape: `true` keeps a value whole; an object keeps, of an object value, only the listed keys
 * (each with its own projection). A value that is not a plain object is always kept whole.
 */
import { RegateError } from '../../errors.ts';

export type Projection = true | { readonly [key: string]: Projection };

/** Where the bundle build records the projection in `.manifest`. */
export const PROJECTION_METADATA_KEY = 'input_projection';

const MAX_DEPTH = 64;
const MAX_NODES = 10_000;

/**
 * Validates a projection read from a bundle manifest. Malformed projections are refused (the
 * bundle was built wrongly or altered), never guessed at.
 */
export function parseProjection(value: unknown): Projection {
  let nodes = 0;
  const check = (v: unknown, depth: number, at: string): Projection => {
    if (++nodes > MAX_NODES) throw invalid(`more than ${MAX_NODES} paths`);
    if (depth > MAX_DEPTH) throw invalid(`deeper than ${MAX_DEPTH} levels at ${at}`);
    if (v === true) return true;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${at} is neither true nor an object`);
    const out: Record<string, Projection> = {};
    for (const [k, child] of Object.entries(v)) {
      Object.defineProperty(out, k, { value: check(child, depth + 1, `${at}.${k}`), enumerable: true });
    }
    return out;
  };
  return check(value, 0, 'input');
}

function invalid(detail: string): RegateError {
  return new RegateError('REGATE_ERR_BUNDLE_FORMAT', `.manifest metadata.regate.${PROJECTION_METADATA_KEY} is malformed: ${detail}`);
}

/** A projection prepared for pruning: children compiled, undefined = keep whole. */
interface Compiled {
  readonly keys: readonly { readonly key: string; readonly child: Compiled | undefined }[];
}

function compile(p: Projection): Compiled | undefined {
  if (p === true) return undefined;
  return { keys: Object.entries(p).map(([key, child]) => ({ key, child: compile(child) })) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * A copy of `value` with only the projected members (own members only; values shared, not
 * copied). Building the small object and letting the native JSON.stringify write it is faster
 * than writing the JSON piecewise.
 */
function prune(value: unknown, c: Compiled | undefined): unknown {
  if (c === undefined || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const { key, child } of c.keys) {
    if (!Object.hasOwn(value, key)) continue;
    const v = child === undefined ? value[key] : prune(value[key], child);
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

/** Serialises inputs keeping only the projected paths; JSON.stringify when there is no projection. */
export function projectingSerializer(projection: Projection | undefined): (input: unknown) => string | undefined {
  if (projection === undefined || projection === true) return (input) => JSON.stringify(input);
  const compiled = compile(projection);
  return (input) => JSON.stringify(prune(input, compiled));
}
