/**
 * `regate review` over a million recorded events: time and peak memory (RSS), against a floor
 * that only reads and parses the same files (readline + JSON.parse, no aggregation).
 *
 *   node scripts/bench-review.ts [--events 1000000] [--files 4] [--heap-mb 192] [--keep]
 *
 * Generates a transcript (request, decision and response events of calls by 200 principals on 3
 * connections, 30 tools, sessions of 25 calls; 8% denials, 2% approvals, masks and exposures, and
 * 0.1% redelivered duplicates) split into rotated files plus the active one, then runs, each in a
 * fresh child process that first loads the CLI's modules (about 150 MB RSS and 1 s of the figures
 * below) so that peak RSS is its own: (1) the floor, (2) the real `regate review`
 * command (`runCli(['review', ..., '--format', 'json'])`). The review's call count must equal
 * the number of generated requests and its duplicate count the number injected: a run that did
 * not do the real work fails. The review child runs under a V8 heap cap (`--heap-mb`, 192 MB
 * old space): it finishes only if its memory does not grow with the number of events.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { TranscriptEvent } from '../src/audit/event.ts';
import type { AccessReview } from '../src/audit/review/model.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    files: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
    floor: { type: 'boolean', default: false },
    /** V8 old-space limit of the review child, in MB: the review must finish inside it (bounded memory). */
    'heap-mb': { type: 'string', default: '192' },
  },
});

async function child(configPath: string, floor: boolean): Promise<void> {
  const started = performance.now();
  let out = '';
  // Both children load the CLI first, so that its modules weigh the same in both peaks and times.
  const { runCli } = await import('../src/cli/program.ts');
  if (floor) {
    // The floor: read and parse every line of every file, nothing else.
    const dir = join(configPath, '..');
    const { readdir } = await import('node:fs/promises');
    let n = 0;
    for (const f of (await readdir(dir)).filter((x) => x.startsWith('transcripts.')).sort()) {
      for await (const line of createInterface({ input: createReadStream(join(dir, f), { encoding: 'utf8', highWaterMark: 256 * 1024 }), crlfDelay: Infinity })) {
        if (line) {
          JSON.parse(line);
          n++;
        }
      }
    }
    out = JSON.stringify({ lines: n });
  } else {
    const code = await runCli(['review', '--config', configPath, '--since', '400d', '--format', 'json'], {
      env: {},
      out: (s) => (out += s),
      err: (s) => process.stderr.write(s),
      stopSignal: new Promise(() => {}),
    });
    if (code !== 0) process.exit(code);
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, result: JSON.parse(out) }));
}

if (values.child !== undefined) {
  await child(values.child, values.floor);
} else {
  const total = Number(values.events);
  const fileCount = Math.max(1, Number(values.files));
  const dir = await mkdtemp(join(tmpdir(), 'regate-bench-review-'));
  const t0 = Date.now() - 90 * 86_400_000;
  const span = 89 * 86_400_000;
  const eventsPerFile = Math.ceil(total / fileCount);
  let written = 0;
  let requests = 0;
  let duplicates = 0;
  let fileIndex = 0;
  let out = createWriteStream(join(dir, `transcripts.${new Date(t0).toISOString().replace(/[:.]/g, '-')}.jsonl`));
  const files: string[] = [out.path as string];
  const write = async (e: TranscriptEvent) => {
    const line = `${JSON.stringify(e)}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
    written++;
  };
  let seq = 0;
  const id = () => {
    const n = ++seq;
    return `0190a000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
  };
  let last: TranscriptEvent | undefined;
  const genStarted = performance.now();
  for (let call = 0; written < total; call++) {
    const t = new Date(t0 + Math.floor((call / (total / 3)) * span)).toISOString();
    const p = call % 200;
    // Each principal's calls come in sessions of 25.
    const session = `s-${p}-${Math.floor(call / (200 * 25))}`;
    const connection = ['crm', 'github', 'files'][p % 3]!;
    const tool = `tool_${call % 30}`;
    const base = { time: t, connection, principal_id: `user-${p}`, principal_name: `User ${p}`, principal_type: 'user' as const, session_id: session, call_id: `c-${call}`, method: 'tools/call', tool };
    const r = call % 100;
    const decision = r < 8 ? 'deny' : r < 10 ? 'approval' : 'allow';
    const events: TranscriptEvent[] = [
      { ...base, event_id: id(), kind: 'request', arguments: { id: `cus_${call % 1000}`, limit: 10 }, params: { name: tool, arguments: { id: `cus_${call % 1000}`, limit: 10 } }, bytes: 120 },
      { ...base, event_id: id(), kind: 'decision', decision, rule: decision === 'deny' ? `regate.tools.rule_${r % 3}` : decision === 'approval' ? 'regate.tools.destructive' : 'regate.tools.read_only', reason: 'benchmark decision', latency_ms: 0.2 },
      {
        ...base,
        event_id: id(),
        kind: 'response',
        content: { jsonrpc: '2.0', id: call, result: { content: [{ type: 'text', text: `customer cus_${call % 1000}: Ada L***, ****1111, tier gold` }] } },
        bytes: 180,
        masked: r % 5 === 0 ? { email: 1, credit_card: 1 } : {},
        exposed: r === 99 ? { phone: 1 } : {},
        latency_ms: 12,
      },
    ];
    if (decision === 'approval') events.push({ ...base, event_id: id(), kind: 'approval', approval_id: `apr-${call}`, approval_status: r === 8 ? 'denied' : 'approved', approver: 'carol', justification: 'CHG-1' });
    for (const e of events) {
      if (written >= total) break;
      if (e.kind === 'request') requests++;
      await write(e);
      last = e;
    }
    // 0.1% of calls: the last event is redelivered right after (a lost answer).
    if (call % 1000 === 999 && last !== undefined && written < total) {
      await write(last);
      duplicates++;
    }
    if (written >= (fileIndex + 1) * eventsPerFile && fileIndex < fileCount - 1) {
      fileIndex++;
      await new Promise<void>((r) => out.end(r));
      const name = fileIndex === fileCount - 1 ? 'transcripts.jsonl' : `transcripts.${new Date(t0 + fileIndex).toISOString().replace(/[:.]/g, '-')}.jsonl`;
      out = createWriteStream(join(dir, name));
      files.push(out.path as string);
    }
  }
  await new Promise<void>((r) => out.end(r));
  const now = new Date();
  for (const f of files) await utimes(f, now, now);
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  const configPath = join(dir, 'regate.yaml');
  await writeFile(configPath, stringify({ connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }], audit: { file: { path: 'transcripts.jsonl' } } }));
  console.log(`generated ${written.toLocaleString('en-US')} events (${requests.toLocaleString('en-US')} calls, ${duplicates} duplicates) in ${files.length} files, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`);

  const run = (floor: boolean) => {
    const heap = floor ? [] : [`--max-old-space-size=${values['heap-mb']}`];
    const r = spawnSync(process.execPath, [...heap, import.meta.filename, '--child', configPath, ...(floor ? ['--floor'] : [])], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as { ms: number; maxRssKb: number; result: unknown };
  };
  const floor = run(true);
  if ((floor.result as { lines: number }).lines !== written) throw new Error(`floor read ${(floor.result as { lines: number }).lines} lines, expected ${written}`);
  const review = run(false);
  const r = review.result as AccessReview;
  if (r.summary.calls !== requests) throw new Error(`review counted ${r.summary.calls} calls, generated ${requests}`);
  if (r.events.duplicates !== duplicates) throw new Error(`review skipped ${r.events.duplicates} duplicates, injected ${duplicates}`);
  if (r.events.read !== written - duplicates) throw new Error(`review read ${r.events.read} events, expected ${written - duplicates}`);
  const line = (name: string, x: { ms: number; maxRssKb: number }) =>
    `${name.padEnd(8)} ${(x.ms / 1000).toFixed(1).padStart(6)} s  ${Math.round(written / (x.ms / 1000)).toLocaleString('en-US').padStart(9)} events/s  peak RSS ${(x.maxRssKb / 1024).toFixed(0).padStart(4)} MB`;
  console.log(line('floor', floor));
  console.log(line('review', review));
  console.log(`the review ran with --max-old-space-size=${values['heap-mb']} (a V8 heap cap: it would have failed had it held the events)`);
  console.log(`review/floor time ${(review.ms / floor.ms).toFixed(2)}; ${r.principals.length} principal×connection rows, ${r.summary.sessions} sessions; verified: calls ${r.summary.calls}, duplicates ${r.events.duplicates}`);
  if (values.keep) console.log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
