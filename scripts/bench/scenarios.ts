/**
 * The proxy benchmark's scenarios (`--scenario <name>`). Each runnable one names its upstream and
 * its workload: the `tools/call` arguments for call n and how to recognise that call's own answer.
 * The others are declared here so the switch exists, and say why they cannot run yet.
 */
import { randomBytes } from 'node:crypto';
import { echoesNonce, returnsCustomer } from './answer.ts';
import type { Workload } from './http-load.ts';

export interface RunnableScenario {
  readonly name: string;
  readonly title: string;
  readonly available: true;
  /** Script in scripts/bench/ that starts the upstream and prints "listening <url>". */
  readonly upstream: 'minimal-upstream.ts' | 'demo-upstream.ts';
  readonly workload: Workload;
  /**
   * Extra top-level YAML lines for regate's config (e.g. `audit: { sink: file, file: { path:
   * "${BENCH_DIR}/transcripts.jsonl" } }` for the recorded call); `${BENCH_DIR}` is the run's temp folder.
   */
  readonly regateConfig?: readonly string[];
}

export interface PendingScenario {
  readonly name: string;
  readonly title: string;
  readonly available: false;
  readonly reason: string;
}

export type Scenario = RunnableScenario | PendingScenario;

// A per-run prefix keeps nonces unique across runs against a long-lived upstream too.
const run = randomBytes(4).toString('hex');
const pad = 'x'.repeat(1000);

export const scenarios: readonly Scenario[] = [
  {
    name: 'minimal',
    title: 'minimal JSON upstream, 1 KB arguments, nonce echoed',
    available: true,
    upstream: 'minimal-upstream.ts',
    workload: {
      call: (n) => {
        const nonce = `${run}-${n}`;
        // get_customer: the tool name the default policy lets a reader call.
        return { params: { name: 'get_customer', arguments: { id: `cus_${String((n % 50) + 1).padStart(3, '0')}`, nonce, pad } }, expect: echoesNonce(nonce) };
      },
    },
  },
  {
    name: 'demo',
    title: 'demo CRM (SDK server, SSE answer), the requested record checked',
    available: true,
    upstream: 'demo-upstream.ts',
    workload: {
      call: (n) => {
        // The demo CRM has no echo tool: the check is that the answer is the record asked for.
        const id = `cus_${String((n % 50) + 1).padStart(3, '0')}`;
        return { params: { name: 'get_customer', arguments: { id } }, expect: returnsCustomer(id) };
      },
    },
  },
  {
    name: 'masked',
    title: 'demo CRM get_customer with the policy masking PII in the answer',
    available: false,
    reason: 'masking is not wired into the proxy path yet; this scenario will check that each answer is the requested record, masked',
  },
  {
    name: 'recorded',
    title: 'a tools/call recorded to the transcript buffer before it is forwarded',
    available: false,
    reason: 'transcript recording is not wired into the proxy path yet; this scenario will run with audit.sink: file',
  },
  {
    name: 'era2026',
    title: 'a stateless 2026-07-28 era tools/call (no initialize, no session; envelope and Mcp-* headers checked upstream)',
    available: true,
    // The minimal upstream answers a 2026 request only when its Mcp-Method and Mcp-Name headers
    // match the body (else 400 / -32020), so a counted call proves regate computed them.
    upstream: 'minimal-upstream.ts',
    workload: {
      era: '2026',
      call: (n) => {
        const nonce = `${run}-${n}`;
        return { params: { name: 'get_customer', arguments: { id: `cus_${String((n % 50) + 1).padStart(3, '0')}`, nonce, pad } }, expect: echoesNonce(nonce) };
      },
    },
  },
];
