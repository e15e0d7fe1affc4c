/**
 * Benchmarks inline masking (issue 11): throughput (MB/s on one core) and added time per message
 * for realistic tool results of 1 KB, 100 KB and 5 MB, with every detector on:
 *   - records: a tools/call result listing demo CRM customers (email, phone, card, IBAN in every
 *     record, notes that sometimes repeat one), as structuredContent plus its JSON text twin,
 *     masked by the fail-closed plan (every detector, redact);
 *   - the same records masked by the default policy's list_customers obligations (paths + detectors);
 *   - clean: ordinary tool output with no hits (dates, UUIDs, versions, hashes, prices, prose);
 *   - dense: text with a card, email, phone or IBAN every ~40 bytes.
 * "mask" is maskMessage on the parsed message (what the pipeline adds when it already parsed the
 * message); "parse+mask+stringify" is the whole cost for a relay that has only the bytes.
 * Every timed operation is checked: its masked counts must equal the number of values planted
 * (counted from the data the case built, never from a run), and once per case the output must
 * contain none of them (every record's values, every value of the dense text) and parse as JSON.
 *
 * With --presidio, the same texts go through Presidio's AnalyzerEngine + AnonymizerEngine in a
 * Python venv (scripts/bench/.venv-presidio, see scripts/bench/presidio_bench.py), and the ratio is
 * printed.
 *
 * Usage: npx node scripts/bench-masking.ts [--seconds S] [--presidio] [--only REGEX] (default 2 s per case;
 * --only runs the cases whose name matches, e.g. to profile one with `npx node --cpu-prof ...`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCustomers, type Customer } from '../src/demo/customers.ts';
import { createMaskPlanner, maskMessage, type MaskPlan, type MaskResult } from '../src/masking/index.ts';
import type { MaskObligation } from '../src/policy/decision.ts';

const REPO = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const SECONDS = Number(argv[argv.indexOf('--seconds') + 1] ?? 2) || 2;
const PRESIDIO = argv.includes('--presidio');
const ONLY = argv.includes('--only') ? new RegExp(argv[argv.indexOf('--only') + 1] ?? '') : undefined;

const planner = createMaskPlanner({ hashKey: 'bench-hash-key-0123456789abcdef', maxMessageBytes: 64 * 1024 * 1024 });
const data = JSON.parse(readFileSync(join(REPO, 'rego/data.json'), 'utf8')) as {
  regate: { config: { connections: { crm: { masks: { list_customers: MaskObligation[] }; detectors: MaskObligation[] } } } };
};
const crm = data.regate.config.connections.crm;
const defaultPlan = planner.plan([...crm.masks.list_customers, ...crm.detectors]);

// ---- corpora ---------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  readonly plan: MaskPlan;
  readonly json: string;
  /** Values planted in the message, all of them: none may survive (checked once per case). */
  readonly planted: ReadonlySet<string>;
  /** Total of the masked counts every run must report: the values planted, counted where they were planted. */
  readonly expected: number;
  /** The text Presidio gets (the same content as one string). */
  readonly text: string;
}

const pool = generateCustomers(500);
const response = (result: unknown) => ({ jsonrpc: '2.0', id: 42, result });

function customersOf(bytes: number): Customer[] {
  const out: Customer[] = [];
  let size = 0;
  for (let i = 0; size < bytes / 2; i++) {
    const c = pool[i % pool.length] as Customer;
    const row = { ...c, id: `cus_${String(i + 1).padStart(6, '0')}` };
    out.push(row);
    size += JSON.stringify(row).length + 1;
  }
  return out;
}

/**
 * The values one record plants, once per place: its email, phone, card and IBAN fields, then each
 * value its notes repeat and the invoice address a note may add (src/demo/customers.ts `note`).
 */
function plantedIn(c: Customer): string[] {
  const values = [c.email, c.phone, c.card_number, c.iban];
  const invoice = `accounts+${c.email.slice(0, c.email.indexOf('@'))}@example.org`;
  let rest = c.notes;
  // The invoice address first: it may contain the record's own email (example.org), counted once.
  for (const v of [invoice, c.email, c.phone, c.card_number, c.iban]) {
    const n = rest.split(v).length - 1;
    for (let i = 0; i < n; i++) values.push(v);
    rest = rest.replaceAll(v, ' ');
  }
  return values;
}

function records(bytes: number, plan: MaskPlan, label: string): Case {
  const customers = customersOf(bytes);
  const structured = { customers };
  const json = JSON.stringify(response({ content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }], structuredContent: structured }));
  const values = customers.map(plantedIn);
  // Every value is planted twice: in structuredContent and in its JSON text twin.
  const expected = 2 * values.reduce((n, v) => n + v.length, 0);
  return { name: `records ${label}`, plan, json, planted: new Set(values.flat()), expected, text: JSON.stringify(structured, null, 2) };
}

const ordinary = readFileSync(join(REPO, 'test/fixtures/masking/ordinary-output.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .join('\n');

const PROSE = [
  'The deployment finished without errors and every service reported healthy within the expected window.',
  'Customers asked for a clearer explanation of how invoices are grouped, so the billing page now shows one line per plan.',
  'Run the migration during the maintenance window; it rewrites the index and takes roughly as long as a full backup.',
  'The search results are ranked by relevance first and by the date of the last update second.',
  'If the connection drops, the client retries with exponential backoff and gives up after the configured limit.',
  'This tool lists the open tickets assigned to the current team, newest first, with their priority and status.',
  'Documentation for the public API lives next to the code, and every change to it is reviewed like code.',
  'The report summarises usage per project, highlights unusual spikes and links to the detailed dashboards.',
];

/** Ordinary tool output: prose with a line of numbers-heavy output (dates, versions, hashes) every few sentences. */
function clean(bytes: number, numbersOnly: boolean): Case {
  const lines = ordinary.split('\n');
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += numbersOnly ? `${lines[i % lines.length]}\n` : i % 5 === 4 ? `${lines[i % lines.length]}\n` : `${PROSE[i % PROSE.length]} `;
  text = text.slice(0, bytes);
  const json = JSON.stringify(response({ content: [{ type: 'text', text }] }));
  return { name: 'clean text', plan: planner.all, json, planted: new Set(), expected: 0, text };
}

function dense(bytes: number): Case {
  const parts: string[] = [];
  const planted = new Set<string>();
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const c = pool[i % pool.length] as Customer;
    const value = [c.card_number, c.email, c.phone, c.iban][i % 4] as string;
    const s = `item ${i % 1000} value ${value}; `;
    parts.push(s);
    size += s.length;
    planted.add(value);
  }
  const text = parts.join('');
  const json = JSON.stringify(response({ content: [{ type: 'text', text }] }));
  return { name: 'dense hits', plan: planner.all, json, planted, expected: parts.length, text };
}

const total = (r: MaskResult): number => Object.values(r.masked).reduce((a, b) => a + b, 0);

/**
 * The first of `values` found in `text`, or undefined. One pass over the text, looking up each
 * position's first characters among the values' own: one `includes` per value took 5 s at 5 MB.
 */
function findAny(text: string, values: ReadonlySet<string>): string | undefined {
  const K = 4;
  const byPrefix = new Map<string, string[]>();
  for (const v of values) {
    if (v.length < K) {
      if (text.includes(v)) return v;
      continue;
    }
    const k = v.slice(0, K);
    byPrefix.set(k, [...(byPrefix.get(k) ?? []), v]);
  }
  for (let i = 0; i + K <= text.length; i++) {
    const candidates = byPrefix.get(text.slice(i, i + K));
    if (candidates !== undefined) for (const v of candidates) if (text.startsWith(v, i)) return v;
  }
  return undefined;
}

// ---- timing ----------------------------------------------------------------------------------

interface Row {
  readonly name: string;
  readonly bytes: number;
  readonly maskUs: number;
  readonly maskBest: number;
  readonly fullUs: number;
  readonly iterations: number;
}

function check(c: Case, r: MaskResult): void {
  if (total(r) !== c.expected) throw new Error(`${c.name}: masked ${total(r)} values, expected ${c.expected}`);
}

/** Median and fastest microseconds of `op`, for about `seconds` (the fastest shows the cost without other load). */
function time(seconds: number, op: () => void): { us: number; best: number; iterations: number } {
  const warm = performance.now() + 300; // warm-up: let the JIT settle before timing
  for (let i = 0; i < 3 || (performance.now() < warm && i < 10_000); i++) op();
  const samples: number[] = [];
  const until = performance.now() + seconds * 1000;
  let iterations = 0;
  while (performance.now() < until && iterations < 100_000) {
    const t0 = performance.now();
    op();
    samples.push((performance.now() - t0) * 1000);
    iterations++;
  }
  samples.sort((a, b) => a - b);
  return { us: samples[Math.floor(samples.length / 2)] as number, best: samples[0] as number, iterations };
}

function measure(c: Case): Row {
  const parsed: unknown = JSON.parse(c.json);
  const once = maskMessage(c.plan, parsed);
  check(c, once);
  const out = JSON.stringify(once.message);
  const survived = findAny(out, c.planted);
  if (survived !== undefined) throw new Error(`${c.name}: ${survived} survived masking`);
  JSON.parse(out); // still JSON
  const mask = time(SECONDS, () => check(c, maskMessage(c.plan, parsed)));
  const full = time(SECONDS, () => {
    const r = maskMessage(c.plan, JSON.parse(c.json));
    check(c, r);
    if (JSON.stringify(r.message).length === 0) throw new Error('empty output');
  });
  return { name: c.name, bytes: Buffer.byteLength(c.json), maskUs: mask.us, maskBest: mask.best, fullUs: full.us, iterations: mask.iterations + full.iterations };
}

const SIZES: [number, string][] = [
  [1024, '1 KB'],
  [100 * 1024, '100 KB'],
  [5 * 1024 * 1024, '5 MB'],
];
// Each case is built, measured and dropped before the next: a heap holding every 5 MB case would
// make each garbage collection (and so the large cases) slower than in a gateway.
const factories: (() => Case)[] = [];
for (const [bytes, label] of SIZES) factories.push(() => records(bytes, planner.all, `${label}, every detector`));
for (const [bytes, label] of SIZES) factories.push(() => records(bytes, defaultPlan, `${label}, default policy`));
for (const [bytes, label] of SIZES) factories.push(() => ({ ...clean(bytes, false), name: `clean text ${label}` }));
for (const [bytes, label] of SIZES) factories.push(() => ({ ...clean(bytes, true), name: `clean number-dense output ${label}` }));
for (const [bytes, label] of SIZES) factories.push(() => ({ ...dense(bytes), name: `dense hits ${label}` }));

interface Measured extends Row {
  readonly expected: number;
  /** Kept for Presidio only for the small cases. */
  readonly text?: string;
}
const presidioWanted = (name: string): boolean => /^(records 1 KB, every detector|clean text 1 KB|clean text 100 KB|dense hits 1 KB|dense hits 100 KB)$/.test(name);
const rows: Measured[] = factories.flatMap((make) => {
  const c = make();
  if (ONLY && !ONLY.test(c.name)) return [];
  const row = measure(c);
  return [{ ...row, expected: c.expected, ...(presidioWanted(c.name) ? { text: c.text } : {}) }];
});
const mbps = (bytes: number, us: number) => bytes / (1024 * 1024) / (us / 1e6);
const fmt = (n: number, d = 1) => n.toFixed(d);

console.log(`# Masking benchmark\n\n${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${SECONDS} s per case, single thread.\n`);
console.log('| case | message bytes | values masked | mask µs (p50) | mask MB/s (p50) | mask µs (fastest) | MB/s (fastest) | parse+mask+stringify µs (p50) | MB/s | runs |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
rows.forEach((r) => {
  const cells = [r.name, r.bytes, r.expected, fmt(r.maskUs), fmt(mbps(r.bytes, r.maskUs)), fmt(r.maskBest), fmt(mbps(r.bytes, r.maskBest)), fmt(r.fullUs), fmt(mbps(r.bytes, r.fullUs)), r.iterations];
  console.log(`| ${cells.join(' | ')} |`);
});

// ---- Presidio ----------------------------------------------------------------------------------

if (PRESIDIO) {
  const python = join(REPO, 'scripts/bench/.venv-presidio/bin/python');
  if (!existsSync(python)) {
    console.log('\nPresidio: no venv at scripts/bench/.venv-presidio (see docs/benchmarks.md, Masking).');
  } else {
    const chosen = rows.filter((r) => r.text !== undefined);
    const file = join(tmpdir(), `regate-presidio-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(chosen.map((c) => ({ name: c.name, text: c.text, seconds: SECONDS }))));
    const out = execFileSync(python, [join(REPO, 'scripts/bench/presidio_bench.py'), file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const results = JSON.parse(out) as { name: string; us: number; entities: number; runs: number }[];
    console.log('\n| case (same text) | Presidio analyze+anonymize µs (p50) | entities found | regate mask µs (p50, whole message) | ratio |');
    console.log('|---|---:|---:|---:|---:|');
    for (const p of results) {
      const r = rows.find((row) => row.name === p.name) as Row;
      console.log(`| ${p.name} | ${fmt(p.us)} | ${p.entities} | ${fmt(r.maskUs)} | ${fmt(p.us / r.maskUs, 0)}x |`);
    }
  }
}
