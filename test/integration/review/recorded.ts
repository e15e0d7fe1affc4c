/**
 * Recorded sessions for the review, replay and whatif specs: a real gateway (committed bundle,
 * demo CRM, v1 SDK clients) makes known calls and refusals into a file sink; the transcript is
 * then moved aside under a rotated file's name, and the active file gets hand-built events for
 * what the gateway cannot produce yet (masking and approvals are not wired into src/compose.ts):
 * two approval requests, one granted and one denied with approvers and justifications, masked and
 * exposed counts; plus one redelivered copy of a recorded event and one torn line.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { uuidv7 } from '../../../src/audit/build-events.ts';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { runCli } from '../../../src/cli/program.ts';
import { startDemoServer } from '../../../src/demo/demo-server.ts';
import { COMMITTED_BUNDLE, startTestGateway } from '../../helpers/gateway.ts';
import { connectClient } from '../../helpers/peers.ts';

export interface Recorded {
  readonly dir: string;
  /** Active transcript file (hand-built events) and the rotated one (the gateway's). */
  readonly transcript: string;
  readonly rotated: string;
  /** A config file whose audit.file.path is the transcript. */
  readonly configPath: string;
  /** Every line that is an event, duplicate included, in file order (rotated first). */
  readonly events: TranscriptEvent[];
  /** The gateway's own events (deduplicated). */
  readonly gatewayEvents: TranscriptEvent[];
  readonly startedAt: number;
  readonly dispose: () => Promise<void>;
}

/** What the recorded sessions did, as the specs expect the review to report it. */
export const EXPECTED = {
  alice: {
    tools: { export_customers_csv: 1, get_customer: 2, list_customers: 1 },
    denials_by_rule: { 'regate.tools.denied': 1 },
    approvals: { requested: 2, granted: 1, denied: 1, expired: 0, approvers: { carol: 1, dave: 1 }, justifications: ['CHG-1001: customer asked to close the account', 'no ticket'] },
    // The gateway's own masks (the default policy's paths over the seeded demo data: two
    // get_customer and one list_customers of 10, each value masked in the structured result and in
    // its JSON text twin, plus the detector hits there) and the hand-built events' (credit_card 2,
    // email 3, an exposed phone).
    masked: {
      '$.structuredContent.customer.card_number': 4,
      '$.structuredContent.customer.email': 4,
      '$.structuredContent.customer.iban': 4,
      '$.structuredContent.customer.phone': 4,
      '$.structuredContent.customers[*].card_number': 20,
      '$.structuredContent.customers[*].email': 20,
      '$.structuredContent.customers[*].iban': 20,
      '$.structuredContent.customers[*].phone': 20,
      credit_card: 4,
      email: 5,
      phone: 2,
    },
    masked_total: 107,
    exposed: { phone: 1 },
  },
  bob: {
    tools: { export_customers_csv: 1, search_customers: 1 },
    denials_by_rule: { 'regate.tools.denied': 1 },
  },
} as const;

function handBuilt(base: TranscriptEvent, kind: TranscriptEvent['kind'], extra: Partial<TranscriptEvent>): TranscriptEvent {
  const t = Date.now();
  return {
    event_id: uuidv7(t),
    time: new Date(t).toISOString(),
    connection: 'crm',
    kind,
    principal_id: base.principal_id!,
    principal_name: base.principal_name ?? '',
    principal_type: 'user',
    session_id: base.session_id!,
    call_id: `hand-${kind}-${Math.random().toString(36).slice(2)}`,
    ...extra,
  } as TranscriptEvent;
}

export async function recordSessions(): Promise<Recorded> {
  const startedAt = Date.now() - 1000;
  const dir = await mkdtemp(join(tmpdir(), 'regate-review-'));
  const transcript = join(dir, 'transcripts.jsonl');
  const demo = await startDemoServer({ requiredToken: 'crm-credential' });
  const gw = await startTestGateway({
    connections: [{ name: 'crm', url: demo.url, headers: { Authorization: 'Bearer crm-credential' } }],
    policy: { bundle: { path: COMMITTED_BUNDLE } },
    audit: { file: { path: transcript }, buffer: { spill_path: join(dir, 'buffer.jsonl') }, log_analytics: undefined },
  });
  try {
    const session = async (sub: string, calls: [string, Record<string, unknown>][]) => {
      const token = await gw.token(sub, ['mcp-readers']);
      const c = await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', { headers: { Authorization: `Bearer ${token}` } });
      for (const [name, args] of calls) await c.client.callTool({ name, arguments: args });
      await c.close();
    };
    await session('alice', [
      ['get_customer', { id: 'cus_001' }],
      ['get_customer', { id: 'cus_002' }],
      ['list_customers', {}],
      ['export_customers_csv', {}],
    ]);
    await session('bob', [
      ['search_customers', { query: 'Ada' }],
      ['export_customers_csv', {}],
    ]);
  } finally {
    await gw.stop();
    await demo.close();
  }
  const gatewayEvents = (await readFile(transcript, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TranscriptEvent);
  const rotated = join(dir, `transcripts.${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
  await rename(transcript, rotated);

  const alice = gatewayEvents.find((e) => e.principal_id === 'alice' && e.session_id !== undefined)!;
  const hand: TranscriptEvent[] = [
    handBuilt(alice, 'decision', { method: 'tools/call', tool: 'delete_customer', decision: 'approval', rule: 'regate.approval.destructive' }),
    handBuilt(alice, 'decision', { method: 'tools/call', tool: 'delete_customer', decision: 'approval', rule: 'regate.approval.destructive' }),
    handBuilt(alice, 'approval', { approval_id: 'apr-1', approval_status: 'pending' }),
    handBuilt(alice, 'approval', {
      approval_id: 'apr-1', approval_status: 'approved', approver: 'carol', justification: EXPECTED.alice.approvals.justifications[0],
      approvers: [{ id: 'carol-id', name: 'carol', at: new Date().toISOString(), comment: 'ok' }],
    }),
    handBuilt(alice, 'approval', { approval_id: 'apr-2', approval_status: 'denied', approver: 'dave', justification: EXPECTED.alice.approvals.justifications[1] }),
    handBuilt(alice, 'response', { masked: { email: 2, credit_card: 2 }, exposed: { phone: 1 } }),
    handBuilt(alice, 'response', { masked: { email: 1 } }),
  ];
  const duplicate = gatewayEvents[3]!;
  await writeFile(transcript, [...hand, duplicate].map((e) => `${JSON.stringify(e)}\n`).join('') + '{"event_id":"torn');
  const configPath = join(dir, 'regate.yaml');
  await writeFile(
    configPath,
    stringify({
      connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      audit: { file: { path: 'transcripts.jsonl' }, buffer: { spill_path: 'buffer.jsonl' } },
    }),
  );
  return {
    dir,
    transcript,
    rotated,
    configPath,
    events: [...gatewayEvents, ...hand, duplicate],
    gatewayEvents,
    startedAt,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs the regate CLI in-process and returns its exit code and output. */
export async function regate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { env: {}, out: (s) => (out += s), err: (s) => (err += s), stopSignal: new Promise(() => {}) });
  return { code, out, err };
}
