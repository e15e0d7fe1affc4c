/**
 * The proxy benchmark's scenarios (`--scenario <name>`). Each names its upstream and its workload:
 * the `tools/call` arguments for call n and how to recognise that call's own answer.
 */
import { randomBytes } from 'node:crypto';
import { generateCustomers } from '../../src/demo/customers.ts';
import { echoesNonce, returnsCustomer, returnsMaskedCustomer } from './answer.ts';
import type { Workload } from './http-load.ts';

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Script in scripts/bench/ that starts the upstream and prints "listening <url>". */
  readonly upstream: 'minimal-upstream.ts' | 'demo-upstream.ts';
  readonly workload: Workload;
  /** regate's `audit.buffer.fsync: true` (each request's events fsync'ed before forwarding). */
  readonly bufferFsync?: boolean;
}

// A per-run prefix keeps nonces unique across runs against a long-lived upstream too.
const run = randomBytes(4).toString('hex');
const pad = 'x'.repeat(1000);
// The demo CRM's records as its upstream holds them (same deterministic seed), for the masked check.
const customers = generateCustomers();
/** The paths that do not go through a regate; any other path's answers must come back masked. */
const IN_CLEAR: ReadonlySet<string> = new Set(['direct', 'bare proxy']);
const customerId = (n: number) => `cus_${String((n % 50) + 1).padStart(3, '0')}`;

/** The minimal upstream's call n: get_customer (a tool the default policy lets a reader call) with 1 KB of arguments and a nonce it echoes. */
const nonceEchoed: Workload['call'] = (n) => {
  const nonce = `${run}-${n}`;
  return { params: { name: 'get_customer', arguments: { id: customerId(n), nonce, pad } }, expect: echoesNonce(nonce) };
};

export const scenarios: readonly Scenario[] = [
  {
    name: 'minimal',
    title: 'minimal JSON upstream, 1 KB arguments, nonce echoed',
    upstream: 'minimal-upstream.ts',
    workload: { call: nonceEchoed },
  },
  {
    name: 'demo',
    title: 'demo CRM (SDK server, SSE answer), the requested record checked',
    upstream: 'demo-upstream.ts',
    workload: {
      call: (n) => {
        // The demo CRM has no echo tool: the check is that the answer is the record asked for.
        const id = customerId(n);
        return { params: { name: 'get_customer', arguments: { id } }, expect: returnsCustomer(id) };
      },
    },
  },
  {
    name: 'masked',
    title: 'demo CRM get_customer, the default policy masking email, phone, card number and IBAN; checked masked through every regate',
    upstream: 'demo-upstream.ts',
    workload: {
      call: (n, through) => {
        const c = customers[n % customers.length]!;
        // Every regate masks (this one and a --baseline one): only direct and the bare proxy return the record in clear.
        return { params: { name: 'get_customer', arguments: { id: c.id } }, expect: returnsMaskedCustomer(c, !IN_CLEAR.has(through)) };
      },
    },
  },
  {
    name: 'recorded',
    title: 'minimal upstream, each request\'s events fsync\'ed to the spill file before forwarding (audit.buffer.fsync: true)',
    // Every scenario records (recording is always on); this one also makes each append survive a power loss.
    upstream: 'minimal-upstream.ts',
    bufferFsync: true,
    workload: { call: nonceEchoed },
  },
  {
    name: 'era2026',
    title: 'a stateless 2026-07-28 era tools/call (no initialize, no session; envelope and Mcp-* headers checked upstream)',
    // The minimal upstream answers a 2026 request only when its Mcp-Method and Mcp-Name headers
    // match the body (else 400 / -32020), so a counted call proves regate computed them.
    upstream: 'minimal-upstream.ts',
    workload: { era: '2026', call: nonceEchoed },
  },
];
