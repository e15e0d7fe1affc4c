/**
 * Proxy overhead benchmark: tools/call latency (p50/p99, one call in flight) and throughput
 * (fixed concurrency) directly against an upstream and through regate, in one run, on loopback.
 * regate and each upstream run in their own processes, as deployed.
 *
 *   npm run bench:proxy            (writes a Markdown table to stdout)
 *   npm run bench:proxy -- --quick (fewer samples, for a smoke run)
 *   npm run bench:proxy -- --only minimal|demo (one scenario)
 *   npm run bench:proxy -- --profile (a V8 CPU profile of each regate process)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { latency, throughput, type Target } from './bench/http-load.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 5000;
const WARMUP = quick ? 200 : 1000;
const SECONDS = quick ? 2 : 8;
const CONCURRENCY = 16;
const here = import.meta.dirname;
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

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

async function initialize(url: string, headers: Record<string, string>): Promise<string | undefined> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  await res.text();
  const session = res.headers.get('mcp-session-id') ?? undefined;
  await fetch(url, {
    method: 'POST',
    headers: { ...headers, ...(session ? { 'mcp-session-id': session } : {}), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  }).then((r) => r.text());
  return session;
}

function target(url: string, headers: Record<string, string>, tool: string, args: (i: number) => unknown): Target {
  return {
    url,
    headers,
    body: (i) => JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: tool, arguments: args(i) } }),
    check: (status, body) => {
      if (status !== 200 || !body.includes('"result"')) throw new Error(`unexpected answer ${status}: ${body.slice(0, 200)}`);
    },
  };
}

interface Row {
  scenario: string;
  path: string;
  p50: number;
  p99: number;
  rps: number;
  /** regate's own CPU time (user + system) per call during the sequential calls, in ms. */
  cpu?: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] = utime, fields[12] = stime, in clock ticks (USER_HZ, 100 on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(
  scenario: string,
  directUrl: string,
  proxiedUrl: string,
  upstreamHeaders: Record<string, string>,
  agentHeaders: Record<string, string>,
  tool: string,
  args: (i: number) => unknown,
  regatePid: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [path, url, headers] of [
    ['direct', directUrl, upstreamHeaders],
    ['through regate', proxiedUrl, agentHeaders],
  ] as const) {
    const session = await initialize(url, headers);
    const h = { ...headers, ...(session ? { 'mcp-session-id': session } : {}) };
    const t = target(url, h, tool, args);
    const proxied = path === 'through regate';
    // regate's CPU per call is measured over the sequential calls only (after warm-up).
    let cpuStart = 0;
    const lat = await latency(t, N, WARMUP, () => {
      if (proxied) cpuStart = cpuSeconds(regatePid);
    });
    const cpu = proxied ? ((cpuSeconds(regatePid) - cpuStart) / N) * 1000 : undefined;
    const rps = await throughput(t, CONCURRENCY, SECONDS, 1_000_000);
    rows.push({ scenario, path, p50: lat.p50, p99: lat.p99, rps, ...(cpu !== undefined ? { cpu } : {}) });
    process.stderr.write(`${scenario} ${path}: p50 ${lat.p50.toFixed(3)} ms p99 ${lat.p99.toFixed(3)} ms ${rps.toFixed(0)} calls/s${cpu !== undefined ? ` regate CPU ${cpu.toFixed(3)} ms/call` : ''}\n`);
  }
  return rows;
}


const token = 'bench-upstream-token';
const minimal = await start([join(here, 'bench/minimal-upstream.ts')], /listening (\S+)/);
const demo = await start([join(here, 'bench/demo-upstream.ts')], /listening (\S+)/, { DEMO_TOKEN: token });
const minimalUrl = minimal.match[1]!;
const demoUrl = demo.match[1]!;

const dir = await mkdtemp(join(os.tmpdir(), 'regate-bench-'));
const profile = process.argv.includes('--profile');

/**
 * regate as users run it: dev bearer auth, the committed default policy bundle deciding every
 * message, and one connection `crm` (the name the default policy knows) to the given upstream.
 */
async function startRegateFor(upstreamUrl: string, upstreamHeaders: Record<string, string>): Promise<{ base: string; token: string; pid: number; stop: () => Promise<void> }> {
  const cfg = join(dir, `regate-${children.length}.yaml`);
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
    ].join('\n'),
  );
  // --profile: a V8 CPU profile of the regate process (for finding hot-path costs).
  const regate = await start([...(profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), join(here, '../src/main.ts'), 'serve', '--config', cfg], /"url":"(http:[^"]+)"/);
  const minted = await start([join(here, '../src/main.ts'), 'token', '--config', cfg, '--sub', 'bench-agent', '--groups', 'mcp-readers'], /^(ey\S+)$/m);
  return {
    base: regate.match[1]!,
    token: minted.match[1]!,
    pid: regate.child.pid!,
    stop: async () => {
      regate.child.kill('SIGTERM');
      await new Promise((r) => regate.child.once('exit', r));
    },
  };
}

const rows: Row[] = [];
const scenarios: Array<{ name: string; url: string; headers: Record<string, string>; args: (i: number) => unknown }> = [
  { name: 'minimal JSON upstream, 1 KB arguments', url: minimalUrl, headers: {}, args: (i: number) => ({ id: `cus_${i % 50}`, pad: 'x'.repeat(1000) }) },
  { name: 'demo CRM (SDK server, SSE answer)', url: demoUrl, headers: { authorization: `Bearer ${token}` }, args: (i: number) => ({ id: `cus_${String((i % 50) + 1).padStart(3, '0')}` }) },
];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];
for (const scenario of scenarios.filter((s) => only === undefined || s.name.startsWith(only))) {
  const r = await startRegateFor(scenario.url, scenario.headers);
  rows.push(...(await measure(scenario.name, scenario.url, `${r.base}/mcp/crm`, scenario.headers, { authorization: `Bearer ${r.token}` }, 'get_customer', scenario.args, r.pid)));
  await r.stop();
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`Machine: ${os.cpus().length} cores (${cpu}), Node ${process.version}, ${quick ? 'quick run' : `${N} sequential calls after ${WARMUP} warm-up; throughput ${CONCURRENCY} concurrent for ${SECONDS} s`}\n`);
console.log('| scenario | path | p50 ms | p99 ms | calls/s | regate CPU ms/call |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.scenario} | ${r.path} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.rps.toFixed(0)} | ${r.cpu === undefined ? '' : r.cpu.toFixed(3)} |`);
console.log('');
for (let i = 0; i < rows.length; i += 2) {
  const d = rows[i]!;
  const p = rows[i + 1]!;
  console.log(`- ${d.scenario}: regate adds ${(p.p50 - d.p50).toFixed(3)} ms at p50, ${(p.p99 - d.p99).toFixed(3)} ms at p99, keeps ${((p.rps / d.rps) * 100).toFixed(0)}% of direct throughput`);
}
if (profile) console.log(`\nCPU profile of regate written to ${dir}`);
for (const c of children) c.kill('SIGTERM');
process.exit(0);
