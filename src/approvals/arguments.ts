/**
 * What an approval is bound to and what approvers see of a call's arguments: a digest of their
 * canonical JSON (keys sorted, numbers as written, so key order or spacing never changes it), and
 * a copy with the decision's `audit.redact_arguments` paths replaced.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../policy/bundle/canonical-json.ts';

/** SHA-256 (hex) of the canonical JSON of `args` (absent arguments digest as `{}`). */
export function argumentDigest(args: unknown): string {
  const text = canonicalJson(JSON.stringify(args ?? {}), 'tool arguments');
  return createHash('sha256').update(text).digest('hex');
}

export const REDACTED = '[redacted]';

type Step = { readonly key: string } | { readonly all: true };

/** `$.a.b[*].c` -> steps; undefined for a path this small dialect does not know (then all is redacted). */
function parsePath(path: string): Step[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: Step[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[\*\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (m === null) return undefined;
    if (m[0] === '[*]') steps.push({ all: true });
    else steps.push({ key: m[1] ?? m[2] ?? m[3] ?? '' });
  }
  return steps;
}

function redactAt(value: unknown, steps: readonly Step[]): unknown {
  if (steps.length === 0) return REDACTED;
  const [head, ...rest] = steps as [Step, ...Step[]];
  if ('all' in head) {
    if (Array.isArray(value)) return value.map((v) => redactAt(v, rest));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAt(v, rest)]));
    return value;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, head.key)) return value;
  return { ...(value as Record<string, unknown>), [head.key]: redactAt((value as Record<string, unknown>)[head.key], rest) };
}

/**
 * The arguments with each path replaced by "[redacted]". A path regate cannot read redacts the
 * whole arguments: showing too little to an approver is safe, showing a secret is not.
 */
export function redactArguments(args: unknown, paths: readonly string[] | undefined): unknown {
  let out: unknown = args ?? {};
  for (const p of paths ?? []) {
    const steps = parsePath(p);
    if (steps === undefined) return REDACTED;
    out = redactAt(out, steps);
  }
  return out;
}
