/**
 * Proxy overhead benchmark. One run measures three paths to the same upstream, interleaved in
 * rounds so that the machine's slow and fast spells hit all three alike:
 *   direct      the load generator calls the upstream itself
 *   bare proxy  scripts/bench/bare-proxy.ts, the reference floor (node:http in, node:http out)
 *   regate      regate as users run it: dev bearer auth, the committed default policy, decision
 *               log, metrics and recording on (transcripts to a file in the run's temp folder)
 * each at 1 and at 16 concurrent calls. Every proxy and upstream is its own process; each
 * proxy's CPU time is read from /proc/<pid>/stat, so the load generator's CPU is not mixed in.
 * Only calls that came back with their own upstream answer count (scripts/bench/answer.ts);
 * a run with any denial or failure exits non-zero, and so does one whose regate, once stopped
 * (stopping flushes), has fewer `tools/call` requests in its transcript than calls were counted
 * through it (a recording-off baseline must have recorded none).
 *
 *   npm run bench:proxy                         all scenarios, 5 rounds of 3 s cells
 *   npm run bench:proxy -- --quick              a smoke run (minimal upstream, 2 short rounds)
 *   npm run bench:proxy -- --scenario demo      one scenario (minimal|demo|masked|recorded|era2026)
 *   npm run bench:proxy -- --rounds 3 --seconds 2
 *   npm run bench:proxy -- --profile            a V8 CPU profile of each regate process, summarised
 *                                               (scripts/bench/profile-summary.ts) by area and function
 *   npm run bench:proxy -- --rotate-every 20000 one session per caller past the policy's limit:
 *                                               shows that a run with denials fails
 *   npm run bench:proxy -- --baseline DIR       also runs the regate of another checkout (DIR, e.g. a
 *                                               `git worktree` of the commit before a change, with
 *                                               node_modules linked) as a fourth path in the same
 *                                               rounds, and reports this regate against it
 *   npm run bench:proxy -- --recording-off-baseline   the baseline is this checkout with recording off
 *                                               (audit.enabled: false): regate/baseline = recording's cost
 *   npm run bench:proxy -- --regate-dir DIR     runs the regate of checkout DIR as "regate" (to
 *                                               compare two older commits with --baseline)
 *   npm run bench:proxy -- --keep               keeps the run's temp folder (configs, transcripts, profiles);
 *                                               without it the folder is removed at exit, also on failure
 *                                               or interrupt (a full run writes GBs of transcripts)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCell, Tally, type Path, type Workload } from './bench/http-load.ts';
import { authConfigSchema } from '../src/identity/config.ts';
import { createDevProvider } from '../src/identity/create.ts';
import { countRecordedCalls } from './bench/recorded-calls.ts';
import { scenarios, type Scenario } from './bench/scenarios.ts';
import { formatSummary, summarize, type CpuProfile } from './bench/profile-summary.ts';
import { cpuSecondsFromStat, formatSpread, quantile, spread } from './bench/stats.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'rotate-every': { type: 'string' },
    baseline: { type: 'string' },
    'recording-off-baseline': { type: 'boolean', default: false },
    'regate-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const quick = flags.quick;
const ROUNDS = Number(flags.rounds ?? (quick ? 2 : 5));
const SECONDS = Number(flags.seconds ?? (quick ? 1 : 3));
const WARMUP_SECONDS = quick ? 1 : 3;
const CONCURRENCY = [1, 16] as const;
// The default policy allows 10,000 tools/call per session; stay an order of magnitude below.
// (--rotate-every 20000 reproduces the old benchmark's mistake: the run then fails on denials.)
const ROTATE_EVERY = Number(flags['rotate-every'] ?? 1000);
type PathName = 'direct' | 'bare proxy' | 'regate' | 'baseline';
// --recording-off-baseline: the baseline is this very checkout with audit.enabled: false, so the
// regate/baseline figures are what recording costs.
const RECORDING_OFF = flags['recording-off-baseline'];
const BASELINE_DIR = RECORDING_OFF ? join(import.meta.dirname, '..') : flags.baseline;
const PATHS: readonly PathName[] = BASELINE_DIR ? ['direct', 'bare proxy', 'regate', 'baseline'] : ['direct', 'bare proxy', 'regate'];

const here = import.meta.dirname;
const children: ChildProcess[] = [];
const dir = await mkdtemp(join(os.tmpdir(), 'regate-bench-'));
// 'exit' runs on success, process.exit and uncaught failures; an interrupt must exit to reach it.
process.on('exit', () => {
  children.forEach((c) => c.kill('SIGKILL'));
  // Retries: a killed child may still be finishing a write in the folder.
  if (flags.keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(128 + os.constants.signals[signal]));

function start(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not ready in 20 s: ${args.join(' ')}\n${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        // Keep draining the child's output (decision logs) without holding on to it.
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ child, match: m });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid: number): number {
  return cpuSecondsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

const upstreamToken = 'bench-upstream-token';

/**
 * regate as users run it: dev bearer auth, the committed default policy bundle deciding every
 * message, and one connection `crm` (the name the default policy knows) to the given upstream.
 */
async function startRegate(
  upstreamUrl: string,
  upstreamHeaders: Record<string, string>,
  n: number,
  fsync: boolean,
  root: string = join(here, '..'),
  isBaseline = false,
): Promise<{ url: string; token: string; child: ChildProcess; newPrincipal: () => Promise<Record<string, string>>; transcripts: string | undefined }> {
  const tag = isBaseline ? '-baseline' : '';
  const cfg = join(dir, `regate-${n}${tag}.yaml`);
  // Recording is always on where the checkout has it (off for the recording-off baseline): its
  // files go to the run's temp folder, not the checkout's data/.
  const transcripts = existsSync(join(root, 'src/audit/config.ts')) ? join(dir, `transcripts-${n}${tag}.jsonl`) : undefined;
  const buffer = `{ spill_path: "${join(dir, `buffer-${n}${tag}.jsonl`)}"${fsync ? ', fsync: true' : ''} }`;
  await writeFile(
    cfg,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'logging: { level: info }',
      'connections:',
      `  - name: crm`,
      `    url: "${upstreamUrl}"`,
      `    headers: ${JSON.stringify(upstreamHeaders)}`,
      `auth: { provider: dev, dev: { enabled: true, key_file: "${join(dir, 'dev-key.json')}" } }`,
      `policy: { bundle: { path: "${join(here, '../bundles/regate.tar.gz')}" } }`,
      ...(transcripts === undefined ? [] : [`audit: { ${isBaseline && RECORDING_OFF ? 'enabled: false, ' : ''}file: { path: "${transcripts}" }, buffer: ${buffer} }`]),
    ].join('\n'),
  );
  const profile = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const regate = await start([...profile, join(root, 'src/main.ts'), 'serve', '--config', cfg], /"url":"(http:[^"]+)"/);
  const minted = await start([join(root, 'src/main.ts'), 'token', '--config', cfg, '--sub', 'bench-agent', '--groups', 'mcp-readers'], /^(ey\S+)$/m);
  // Stateless-era lanes take a new principal where 2025 lanes open a new session; minted in
  // process with the same dev key (regate serve created it), so rotating costs no CLI start.
  const dev = await createDevProvider(authConfigSchema.parse({ provider: 'dev', dev: { enabled: true, key_file: join(dir, 'dev-key.json') } }), { logger: { warn: () => {} } });
  let principals = 0;
  const newPrincipal = async () => ({ authorization: `Bearer ${await dev.mint({ sub: `bench-agent-${++principals}`, groups: ['mcp-readers'] })}` });
  return { url: `${regate.match[1]!}/mcp/crm`, token: minted.match[1]!, child: regate.child, newPrincipal, transcripts };
}

interface Cell {
  readonly round: number;
  readonly concurrency: number;
  readonly path: PathName;
  readonly callsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** The proxy's own CPU time per counted call, ms (undefined for direct). */
  readonly cpuMs: number | undefined;
}

interface ScenarioResult {
  readonly scenario: Scenario;
  readonly cells: Cell[];
  readonly tallies: Record<PathName, Tally>;
  readonly ok: Record<PathName, number>;
  /** `tools/call` requests in each regate's transcript after it stopped; undefined: its checkout does not record. */
  readonly recorded: Partial<Record<PathName, number | undefined>>;
}

async function runScenario(scenario: Scenario, n: number): Promise<ScenarioResult> {
  const upstreamHeaders: Record<string, string> = scenario.upstream === 'demo-upstream.ts' ? { authorization: `Bearer ${upstreamToken}` } : {};
  const upstream = await start([join(here, 'bench', scenario.upstream)], /listening (\S+)/, { DEMO_TOKEN: upstreamToken });
  const upstreamUrl = upstream.match[1]!;
  const bare = await start([join(here, 'bench/bare-proxy.ts'), upstreamUrl], /listening (\S+)/);
  const fsync = scenario.bufferFsync === true;
  const regate = await startRegate(upstreamUrl, upstreamHeaders, n, fsync, flags['regate-dir'] ?? join(here, '..'));
  const baseline = BASELINE_DIR ? await startRegate(upstreamUrl, upstreamHeaders, n, fsync, BASELINE_DIR, true) : undefined;
  const paths: Partial<Record<PathName, Path & { pid: number | undefined }>> = {
    direct: { name: 'direct', url: upstreamUrl, headers: upstreamHeaders, pid: undefined },
    'bare proxy': { name: 'bare proxy', url: bare.match[1]!, headers: upstreamHeaders, pid: bare.child.pid! },
    regate: { name: 'regate', url: regate.url, headers: { authorization: `Bearer ${regate.token}` }, newPrincipal: regate.newPrincipal, pid: regate.child.pid! },
    ...(baseline
      ? { baseline: { name: 'baseline', url: baseline.url, headers: { authorization: `Bearer ${baseline.token}` }, newPrincipal: baseline.newPrincipal, pid: baseline.child.pid! } }
      : {}),
  };
  const tallies = { direct: new Tally(), 'bare proxy': new Tally(), regate: new Tally(), baseline: new Tally() };
  const ok = { direct: 0, 'bare proxy': 0, regate: 0, baseline: 0 };
  const cells: Cell[] = [];
  const cell = async (name: PathName, concurrency: number, seconds: number, workload: Workload) => {
    const p = paths[name]!;
    let cpu0 = 0;
    const r = await runCell(p, workload, {
      concurrency,
      seconds,
      rotateEvery: ROTATE_EVERY,
      tally: tallies[name],
      onStart: () => (cpu0 = p.pid === undefined ? 0 : cpuSeconds(p.pid)),
    });
    const cpu = p.pid === undefined ? undefined : cpuSeconds(p.pid) - cpu0;
    ok[name] += r.ok;
    // NaN when no call counted: the report then shows NaN and still reaches its FAILED line.
    return { r, cpuMs: cpu === undefined ? undefined : r.ok === 0 ? Number.NaN : (cpu / r.ok) * 1000 };
  };

  for (const name of PATHS) await cell(name, 16, WARMUP_SECONDS, scenario.workload);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const concurrency of CONCURRENCY) {
      // Rotate the order each round so no path always runs first (or right after another).
      const order = PATHS.map((_, i) => PATHS[(i + round) % PATHS.length]!);
      for (const name of order) {
        const { r, cpuMs } = await cell(name, concurrency, SECONDS, scenario.workload);
        cells.push({ round, concurrency, path: name, callsPerSecond: r.ok / r.seconds, p50: quantile(r.samples, 0.5), p99: quantile(r.samples, 0.99), cpuMs });
        process.stderr.write(
          `${scenario.name} round ${round} c=${concurrency} ${name}: ${(r.ok / r.seconds).toFixed(0)} calls/s p50 ${quantile(r.samples, 0.5).toFixed(3)} ms` +
            `${cpuMs === undefined ? '' : ` CPU ${cpuMs.toFixed(3)} ms/call`}\n`,
        );
      }
    }
  }
  await stop(regate.child);
  if (baseline) await stop(baseline.child);
  await stop(bare.child);
  await stop(upstream.child);
  // Counted only now: stopping regate flushed what its buffer still held to the transcript.
  const recorded: ScenarioResult['recorded'] = { regate: regate.transcripts === undefined ? undefined : await countRecordedCalls(regate.transcripts) };
  if (baseline) recorded.baseline = baseline.transcripts === undefined ? undefined : await countRecordedCalls(baseline.transcripts);
  return { scenario, cells, tallies, ok, recorded };
}

/** One figure per round, computed from that round's cells at one concurrency. */
function perRound(cells: readonly Cell[], concurrency: number, f: (c: Record<PathName, Cell>) => number): number[] {
  const out: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const at = cells.filter((c) => c.round === round && c.concurrency === concurrency);
    const by = Object.fromEntries(at.map((c) => [c.path, c])) as Record<PathName, Cell>;
    if (PATHS.every((p) => by[p] !== undefined)) out.push(f(by));
  }
  return out;
}

/** Why a regate path's transcript does not match the calls counted through it, or undefined. */
function recordingFault(result: ScenarioResult, p: PathName): string | undefined {
  const n = result.recorded[p];
  if (n === undefined) return undefined;
  if (p === 'baseline' && RECORDING_OFF) return n === 0 ? undefined : 'recording was off: expected 0';
  return n >= result.ok[p] ? undefined : `expected at least the ${result.ok[p]} checked`;
}

function report(result: ScenarioResult): string[] {
  const { cells } = result;
  const lines = [`### ${result.scenario.name}: ${result.scenario.title}`, '', '| figure | concurrency | median (min-max over rounds) |', '|---|---:|---:|'];
  const row = (figure: string, c: number, values: number[], digits: number, unit = '') => lines.push(`| ${figure} | ${c} | ${formatSpread(spread(values), digits, unit)} |`);
  for (const c of CONCURRENCY) {
    row('regate CPU per call / bare proxy CPU per call', c, perRound(cells, c, (b) => b.regate.cpuMs! / b['bare proxy'].cpuMs!), 2, 'x');
    row('regate CPU per call, ms', c, perRound(cells, c, (b) => b.regate.cpuMs!), 3);
    row('bare proxy CPU per call, ms', c, perRound(cells, c, (b) => b['bare proxy'].cpuMs!), 3);
    row('regate added p50 vs direct, ms', c, perRound(cells, c, (b) => b.regate.p50 - b.direct.p50), 3);
    row('bare proxy added p50 vs direct, ms', c, perRound(cells, c, (b) => b['bare proxy'].p50 - b.direct.p50), 3);
    row('regate added p50 / bare proxy added p50', c, perRound(cells, c, (b) => (b.regate.p50 - b.direct.p50) / (b['bare proxy'].p50 - b.direct.p50)), 2, 'x');
    row('regate added p99 vs direct, ms', c, perRound(cells, c, (b) => b.regate.p99 - b.direct.p99), 3);
    row('bare proxy added p99 vs direct, ms', c, perRound(cells, c, (b) => b['bare proxy'].p99 - b.direct.p99), 3);
    row('regate throughput, share of direct', c, perRound(cells, c, (b) => (b.regate.callsPerSecond / b.direct.callsPerSecond) * 100), 0, '%');
    row('bare proxy throughput, share of direct', c, perRound(cells, c, (b) => (b['bare proxy'].callsPerSecond / b.direct.callsPerSecond) * 100), 0, '%');
    row('regate throughput, share of bare proxy', c, perRound(cells, c, (b) => (b.regate.callsPerSecond / b['bare proxy'].callsPerSecond) * 100), 0, '%');
    if (BASELINE_DIR) {
      row('regate CPU per call / baseline CPU per call', c, perRound(cells, c, (b) => b.regate.cpuMs! / b.baseline.cpuMs!), 3, 'x');
      row('regate added p50 / baseline added p50', c, perRound(cells, c, (b) => (b.regate.p50 - b.direct.p50) / (b.baseline.p50 - b.direct.p50)), 3, 'x');
      row('baseline CPU per call, ms', c, perRound(cells, c, (b) => b.baseline.cpuMs!), 3);
      row('baseline added p50 vs direct, ms', c, perRound(cells, c, (b) => b.baseline.p50 - b.direct.p50), 3);
      row('regate p50 - baseline p50, ms', c, perRound(cells, c, (b) => b.regate.p50 - b.baseline.p50), 3);
      row('regate p99 - baseline p99, ms', c, perRound(cells, c, (b) => b.regate.p99 - b.baseline.p99), 3);
    }
    for (const p of PATHS) row(`${p} calls/s`, c, perRound(cells, c, (b) => b[p].callsPerSecond), 0);
  }
  lines.push('');
  for (const p of PATHS) {
    const t = result.tallies[p];
    const denied = [...t.denied].map(([rule, k]) => `${k} ${rule}`).join(', ');
    const n = result.recorded[p];
    const fault = recordingFault(result, p);
    const recorded = !(p in result.recorded) ? '' : n === undefined ? '; recording not checked (the checkout has none)' : `; ${n} tools/call requests recorded${fault ? ` (${fault})` : ''}`;
    lines.push(`- ${p}: ${result.ok[p]} calls answered by the upstream and checked; denied ${t.deniedTotal}${denied ? ` (${denied})` : ''}; failed ${t.failed}${recorded}`);
    for (const e of t.examples) lines.push(`  - e.g. ${e}`);
  }
  return lines;
}

const wanted = flags.scenario ?? (quick ? 'minimal' : 'all');
const chosen = wanted === 'all' ? scenarios : scenarios.filter((s) => s.name === wanted);
if (chosen.length === 0) {
  console.error(`unknown scenario ${wanted}; one of: all, ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const load0 = os.loadavg();
const results: ScenarioResult[] = [];
for (const [i, s] of chosen.entries()) results.push(await runScenario(s, i));
const load1 = os.loadavg();

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `Machine: ${os.cpus().length} cores (${cpu}), Node ${process.version}; load average ${load0[0]!.toFixed(2)} before, ${load1[0]!.toFixed(2)} after ` +
    `(above ~1 on 2 cores means other work shared the machine).`,
);
console.log(
  `Run: ${ROUNDS} rounds; per round and concurrency (1, 16) one ${SECONDS} s cell per path in rotating order, after ${WARMUP_SECONDS} s warm-up per path; ` +
    `sessions rotated every ${ROTATE_EVERY} calls per caller.\n`,
);
for (const r of results) console.log(`${report(r).join('\n')}\n`);
if (flags.profile) {
  // One profile per regate process (one per scenario), written when it stopped; the whole life of
  // the process, so idle time while the other paths ran is in it (and left out of the shares).
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
    console.log(`#### CPU profile of regate: ${join(dir, f)}\n\n${formatSummary(summarize(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile), 25)}\n`);
  }
}

const bad = results.flatMap((r) => PATHS.filter((p) => r.tallies[p].deniedTotal > 0 || r.tallies[p].failed > 0).map((p) => `${r.scenario.name}/${p}`));
const unrecorded = results.flatMap((r) => PATHS.filter((p) => recordingFault(r, p) !== undefined).map((p) => `${r.scenario.name}/${p}`));
if (bad.length > 0) console.log(`\nFAILED: denials or failures on ${bad.join(', ')}: these figures do not measure the real work.`);
if (unrecorded.length > 0) console.log(`\nFAILED: the transcripts of ${unrecorded.join(', ')} do not match the calls counted (see the recorded counts above).`);
if (bad.length > 0 || unrecorded.length > 0) process.exit(1);
process.exit(0);
