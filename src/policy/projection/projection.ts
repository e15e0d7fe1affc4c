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
import { createHash } from 'node:crypto';
import { RegateError } from '../../errors.ts';

export type Projection = true | { readonly [key: string]: Projection };

/** Where the bundle build records the projection in `.manifest` (under metadata.regate). */
export const PROJECTION_METADATA_KEY = 'input_projection';
/** Next to it: the digest of the Rego it was derived from (regoDigest), binding the two. */
export const PROJECTION_SOURCE_KEY = 'input_projection_rego';

/**
 * SHA-256 over "<sha256 of content>  <path>" lines of the policy's Rego modules (test modules
 * left out), paths relative to the bundle root without a leading '/', sorted bytewise. The build
 * computes it over the sources it analysed, the reader over the modules the bundle carries: a
 * projection copied into another policy's manifest (a stale source `.manifest`, a hand edit)
 * would hide input that policy reads, so it is refused.
 */
export function regoDigest(files: Iterable<readonly [path: string, content: Buffer]>): string {
  const lines = [...files]
    .map(([p, content]) => [p.replace(/^\/+/, ''), content] as const)
    .filter(([p]) => p.endsWith('.rego') && !p.endsWith('_test.rego'))
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([p, content]) => `${createHash('sha256').update(content).digest('hex')}  ${p}\n`);
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}

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
