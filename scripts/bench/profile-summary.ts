/**
 * Where a V8 CPU profile's time went (`--cpu-prof` output, as `npm run bench:proxy -- --profile`
 * writes for regate): self time per function and per area (regate's own folders, each npm
 * package, Node's internals, GC, idle), as Markdown tables.
 *
 *   node scripts/bench/profile-summary.ts <file.cpuprofile> [--top 30]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Share {
  readonly name: string;
  readonly ms: number;
}

/** The area a function belongs to: `src/<folder>`, an npm package, `node:internal`, or V8's own entries. */
export function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(src|scripts)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (/\/src\/[^/]+\.ts$/.test(url)) return 'src';
  if (url.startsWith('wasm://')) return 'wasm (the policy)';
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

/** Self time per function and per area, most first; `(idle)` and `(program)` stay visible as areas. */
export function summarize(p: CpuProfile): { byFunction: Share[]; byArea: Share[]; totalMs: number; busyMs: number } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; it is charged to the node sampled there.
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    total += us;
    if (frame.functionName === '(idle)') idle += us;
    const where = frame.url ? `${frame.url.replace(/^file:\/\/.*?\/(src|scripts|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = areaOf(frame);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { byFunction: sorted(fn), byArea: sorted(area), totalMs: total / 1000, busyMs: (total - idle) / 1000 };
}

/** The summary as Markdown; shares are of the busy (non-idle) time. */
export function formatSummary(s: ReturnType<typeof summarize>, top: number): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1)}%`;
  // Areas under 0.5% of the busy time are summed into one row.
  const busy = s.byArea.filter((a) => a.name !== '(idle)');
  const areas = busy.filter((a) => a.ms >= s.busyMs * 0.005);
  const rest = busy.filter((a) => a.ms < s.busyMs * 0.005);
  const restMs = rest.reduce((n, a) => n + a.ms, 0);
  return [
    `busy ${s.busyMs.toFixed(0)} ms of ${s.totalMs.toFixed(0)} ms profiled`,
    '',
    '| area | self ms | share of busy |',
    '|---|---:|---:|',
    ...areas.map((a) => `| ${a.name} | ${a.ms.toFixed(0)} | ${pct(a.ms)} |`),
    `| (${rest.length} other areas) | ${restMs.toFixed(0)} | ${pct(restMs)} |`,
    '',
    '| function | self ms | share of busy |',
    '|---|---:|---:|',
    ...s.byFunction
      .filter((f) => !f.name.startsWith('(idle)'))
      .slice(0, top)
      .map((f) => `| \`${f.name}\` | ${f.ms.toFixed(0)} | ${pct(f.ms)} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/bench/profile-summary.ts <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  const at = process.argv.indexOf('--top');
  const top = at === -1 ? 30 : Number(process.argv[at + 1]);
  console.log(formatSummary(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), top));
}
