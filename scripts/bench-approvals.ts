/**
 * Benchmarks approvals with real processes: two `regate serve` replicas share one redis-server.
 *
 * 1. Approve -> forward across replicas: a delete_customer call is held on replica one; the bench
 *    approves it through replica two's API and measures from sending the approve request to the
 *    upstream receiving the call (p50/p99). Every counted operation is checked: the upstream saw
 *    exactly that call once, and the agent got its answer. Reference floor in the same run: an
 *    allowed call (get_customer) sent straight through replica one, request to upstream arrival.
 * 2. The cost of holding: HELD calls held at once on replica one; the replica's RSS before and
 *    while holding (per held call), and its CPU over a quiet window while they are held
 *    (keepalives every 15 s and the re-reads every recheck_seconds).
 *
 *   npx node scripts/bench-approvals.ts                 # prints and writes docs/benchmarks-approvals.md
 *   npx node scripts/bench-approvals.ts --quick --no-write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { devSigner, sharedKeyFile, startReplica, type Replica } from '../test/helpers/approvals.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { cpuSecondsFromStat, quantile } from './bench/stats.ts';

const QUICK = process.argv.includes('--quick');
const WRITE = !process.argv.includes('--no-write');
const APPROVALS = QUICK ? 30 : 200;
const FLOOR = QUICK ? 100 : 1000;
const HELD = QUICK ? 200 : 1000;
const CPU_WINDOW_MS = QUICK ? 5000 : 20_000;

/** Nearest-rank quantiles of one measure (the 1-quantile is the maximum). */
function stats(samples: number[]) {
  return { n: samples.length, p50: quantile(samples, 0.5), p90: quantile(samples, 0.9), p99: quantile(samples, 0.99), max: quantile(samples, 1) };
}

// --- the upstream: records when each call arrives, by the id argument
const arrivals = new Map<string, number[]>();
const upstream = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const m = JSON.parse(Buffer.concat(chunks).toString()) as { id?: unknown; method?: string; params?: { name?: string; arguments?: { id?: string } } };
    if (m.id === undefined) return void res.writeHead(202).end();
    if (m.method === 'tools/call') {
      const key = `${m.params?.name}:${m.params?.arguments?.id}`;
      arrivals.set(key, [...(arrivals.get(key) ?? []), performance.now()]);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: `ran ${m.params?.name}` }] } }));
  });
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;

const redis = await startRedis();
const keyFile = await sharedKeyFile();
const replicas: Replica[] = [];
for (const name of ['one', 'two']) {
  replicas.push(
    await startReplica({
      name, upstreamUrl, redisUrl: redis.url, keyFile, approvals: '{ mode: hold, timeout_seconds: 600, recheck_seconds: 5 }', logLevel: 'error',
      // One agent holds HELD calls at once: above the per-principal default of 64 concurrent requests.
      extraConfig: [`limits: { per_principal: { max_concurrent_requests: ${HELD + 64} } }`],
    }),
  );
}
const [one, two] = [replicas[0]!, replicas[1]!];
const dev = await devSigner(keyFile);
const agent = await dev.mint({ sub: 'agent', groups: ['mcp-readers'] });
const approver = await dev.mint({ sub: 'boss', groups: ['mcp-approvers'] });

const call = (base: string, id: number, tool: string, arg: string, signal?: AbortSignal) =>
  fetch(`${base}/mcp/crm`, {
    method: 'POST',
    // Held calls are asked as agents do (SSE allowed), so they get keepalives.
    headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json', accept: signal ? 'application/json, text/event-stream' : 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: { id: arg } } }),
    ...(signal ? { signal } : {}),
  });

async function pendingIds(): Promise<string[]> {
  const res = await fetch(`${two.url}/approvals`, { headers: { authorization: `Bearer ${approver}`, accept: 'application/json' } });
  return ((await res.json()) as { approvals: Array<{ id: string }> }).approvals.map((a) => a.id);
}

// --- 1. approve -> forwarded, across replicas
const approveToForward: number[] = [];
const apiLatency: number[] = [];
for (let i = 0; i < APPROVALS; i++) {
  const arg = `approve-${i}`;
  const answer = call(one.url, i, 'delete_customer', arg).then((r) => r.json() as Promise<{ result?: { content: Array<{ text: string }> } }>);
  let ids: string[] = [];
  const until = Date.now() + 10_000;
  while ((ids = await pendingIds()).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
  if (ids.length !== 1) throw new Error(`expected one pending approval, saw ${ids.length}`);
  const t0 = performance.now();
  const res = await fetch(`${two.url}/approvals/${ids[0]}/approve`, { method: 'POST', headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' }, body: '{}' });
  apiLatency.push(performance.now() - t0);
  if (res.status !== 200) throw new Error(`approve answered ${res.status}`);
  const a = await answer;
  const seen = arrivals.get(`delete_customer:${arg}`) ?? [];
  // The real work: the upstream ran exactly this call once, and the agent got its answer.
  if (seen.length !== 1 || a.result?.content[0]?.text !== 'ran delete_customer') throw new Error(`call ${arg}: upstream saw ${seen.length}, answer ${JSON.stringify(a)}`);
  approveToForward.push(seen[0]! - t0);
}

// Reference floor: an allowed call, request sent -> upstream arrival, through the same replica.
const floor: number[] = [];
for (let i = 0; i < FLOOR; i++) {
  const arg = `floor-${i}`;
  const t0 = performance.now();
  const r = await call(one.url, i, 'get_customer', arg);
  await r.text();
  const seen = arrivals.get(`get_customer:${arg}`) ?? [];
  if (seen.length !== 1) throw new Error(`floor call ${arg}: upstream saw ${seen.length}`);
  floor.push(seen[0]! - t0);
}

// --- 2. holding HELD calls on replica one
const pid = one.peer.child.pid!;
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const cpuSeconds = () => cpuSecondsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
const rssBefore = rssKb();
const ac = new AbortController();
const held: Promise<unknown>[] = [];
for (let i = 0; i < HELD; i++) held.push(call(one.url, 100_000 + i, 'delete_customer', `held-${i}`, ac.signal).catch(() => undefined));
const holdUntil = Date.now() + 120_000;
let pendingCount = 0;
while ((pendingCount = (await pendingIds()).length) < HELD && Date.now() < holdUntil) await new Promise((r) => setTimeout(r, 200));
if (pendingCount < HELD) throw new Error(`only ${pendingCount} of ${HELD} calls were held`);
await new Promise((r) => setTimeout(r, 1000));
const rssHolding = rssKb();
const cpu0 = cpuSeconds();
const w0 = performance.now();
await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
const cpuPercent = ((cpuSeconds() - cpu0) / ((performance.now() - w0) / 1000)) * 100;
ac.abort();
await Promise.all(held);
const leaked = [...arrivals.keys()].filter((k) => k.startsWith('delete_customer:held-')).length;
if (leaked !== 0) throw new Error(`${leaked} held calls reached the upstream without approval`);

const a = stats(approveToForward);
const api = stats(apiLatency);
const f = stats(floor);
const ms = (v: number) => v.toFixed(2);
const report = [
  '# Approvals benchmark',
  '',
  `Generated by \`npx node scripts/bench-approvals.ts${QUICK ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}.`,
  'Two `regate serve` processes and one redis-server on loopback; the bench process is the agent, the approver and the upstream. Figures taken on a shared, loaded machine: read ratios, not absolutes.',
  '',
  '## Approve -> forwarded, across replicas',
  '',
  'From sending `POST /approvals/{id}/approve` to replica two until the upstream receives the call held on replica one (wake-up through Redis pub/sub, re-decision, grant spent, forward). Each sample checked: the upstream ran that call exactly once and the agent got its answer.',
  '',
  '| measure | n | p50 ms | p90 ms | p99 ms | max ms |',
  '|---|---|---|---|---|---|',
  `| approve -> upstream receives | ${a.n} | ${ms(a.p50)} | ${ms(a.p90)} | ${ms(a.p99)} | ${ms(a.max)} |`,
  `| approve API answer | ${api.n} | ${ms(api.p50)} | ${ms(api.p90)} | ${ms(api.p99)} | ${ms(api.max)} |`,
  `| floor: allowed call -> upstream receives | ${f.n} | ${ms(f.p50)} | ${ms(f.p90)} | ${ms(f.p99)} | ${ms(f.max)} |`,
  '',
  `Ratio p99 approve->forward / floor p99: ${(a.p99 / f.p99).toFixed(1)}x. Target: p99 under 50 ms on loopback.`,
  '',
  '## Holding calls',
  '',
  `| held calls | RSS before | RSS holding | per held call | replica CPU while holding (${CPU_WINDOW_MS / 1000} s window) |`,
  '|---|---|---|---|---|',
  `| ${HELD} | ${(rssBefore / 1024).toFixed(1)} MiB | ${(rssHolding / 1024).toFixed(1)} MiB | ${((rssHolding - rssBefore) / HELD).toFixed(1)} KiB | ${cpuPercent.toFixed(1)} % of one core |`,
  '',
  'Holding costs an open SSE response per call, a store re-read every `recheck_seconds` (5) per call and keepalives every 15 s on SSE streams; none of the held calls reached the upstream.',
  '',
].join('\n');
console.log(report);
if (WRITE) writeFileSync(join(import.meta.dirname, '../docs/benchmarks-approvals.md'), report);

await Promise.all(replicas.map((r) => r.peer.stop()));
await redis.stop();
upstream.closeAllConnections();
upstream.close();
