/**
 * Redaction of recorded arguments by the JSON paths of a decision's `audit.redact_arguments`.
 * A deliberately tiny evaluator (the masking library has the full one): `$` is the arguments
 * object; segments are `.name`, `['name']`/`["name"]`, `[n]`, `[*]` / `.*` (every member) and
 * `..name` (that key at any depth). A path that does not parse redacts the whole value: an
 * unreadable redaction rule must fail towards recording less, never more.
 */

export const REDACTED = '[REDACTED]';

type Segment =
  | { readonly type: 'key'; readonly key: string }
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'all' }
  | { readonly type: 'deep'; readonly key: string };

/** Parses `$.a.b[0]['c'][*]..d`; undefined when the path is malformed. */
export function parsePath(path: string): Segment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const out: Segment[] = [];
  let i = 1;
  const ident = /^[A-Za-z0-9_$-]+/;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith('..')) {
      const m = ident.exec(rest.slice(2));
      if (!m) return undefined;
      out.push({ type: 'deep', key: m[0] });
      i += 2 + m[0].length;
    } else if (rest.startsWith('.*')) {
      out.push({ type: 'all' });
      i += 2;
    } else if (rest.startsWith('.')) {
      const m = ident.exec(rest.slice(1));
      if (!m) return undefined;
      out.push({ type: 'key', key: m[0] });
      i += 1 + m[0].length;
    } else if (rest.startsWith('[*]')) {
      out.push({ type: 'all' });
      i += 3;
    } else {
      const quoted = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest);
      const index = /^\[(\d+)\]/.exec(rest);
      if (quoted) {
        out.push({ type: 'key', key: quoted[1] ?? quoted[2] ?? '' });
        i += quoted[0].length;
      } else if (index) {
        out.push({ type: 'index', index: Number(index[1]) });
        i += index[0].length;
      } else {
        return undefined;
      }
    }
  }
  return out;
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null;
}

/** Replaces, in place, every value `segments` reaches below `parent[key]`. */
function redactAt(parent: Record<string, unknown> | unknown[], key: string | number, segments: readonly Segment[]): number {
  const here = (parent as Record<string | number, unknown>)[key];
  if (segments.length === 0) {
    if (here === undefined) return 0;
    (parent as Record<string | number, unknown>)[key] = REDACTED;
    return 1;
  }
  const [seg, ...rest] = segments as [Segment, ...Segment[]];
  if (!isContainer(here)) return 0;
  switch (seg.type) {
    case 'key':
      return Array.isArray(here) ? 0 : redactAt(here, seg.key, rest);
    case 'index':
      return Array.isArray(here) ? redactAt(here, seg.index, rest) : 0;
    case 'all': {
      let n = 0;
      for (const k of Array.isArray(here) ? here.keys() : Object.keys(here)) n += redactAt(here, k, rest);
      return n;
    }
    case 'deep': {
      let n = 0;
      const walk = (node: unknown): void => {
        if (!isContainer(node)) return;
        for (const k of Array.isArray(node) ? [...node.keys()] : Object.keys(node)) {
          if (!Array.isArray(node) && k === seg.key) n += redactAt(node, k, rest);
          else walk((node as Record<string | number, unknown>)[k]);
        }
      };
      walk(here);
      return n;
    }
  }
}

/**
 * A copy of `value` with every path in `paths` replaced by "[REDACTED]" (the input is untouched).
 * `$` itself, or a malformed path, redacts the whole value.
 */
export function redactPaths(value: unknown, paths: readonly string[] | undefined): unknown {
  if (!paths || paths.length === 0 || value === undefined) return value;
  const holder: Record<string, unknown> = { $: structuredClone(value) };
  for (const path of paths) {
    const segments = parsePath(path);
    if (segments === undefined || segments.length === 0) return REDACTED;
    redactAt(holder, '$', segments);
  }
  return holder['$'];
}
