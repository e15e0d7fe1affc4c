import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { generateCustomers } from '../../../src/demo/customers.ts';

/** The demo server's own data (the same seed and count as it uses by default). */
const CUSTOMERS = generateCustomers();
import { startDemoServer, type DemoServer } from '../../../src/demo/demo-server.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { connectClient } from '../../helpers/peers.ts';

type Customer = { id: string; email: string; phone: string; card_number: string; iban: string };
type CallResult = { isError?: boolean; content: Array<{ type: string; text: string }>; structuredContent?: { customer?: Customer; customers?: Customer[] } };

/**
 * The default policy's mask obligations, applied end to end: the demo CRM's PII leaves the
 * gateway masked, in the structured result and in its JSON text twin, and the transcript holds
 * only the masked form.
 */
describe('masking through the gateway (default policy, demo CRM over SSE, SDK client)', function () {
  this.timeout(30_000);
  let demo: DemoServer;
  let gw: TestGateway;
  let dir: string;
  const cus = CUSTOMERS.find((c) => c.id === 'cus_001')! as unknown as Customer;
  let single: CallResult;
  let listed: CallResult;
  let events: TranscriptEvent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regate-mask-'));
    demo = await startDemoServer({ requiredToken: 'crm-token' });
    gw = await startTestGateway({
      connections: [{ name: 'crm', url: demo.url, headers: { Authorization: 'Bearer crm-token' } }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      audit: { file: { path: join(dir, 'transcripts.jsonl') }, buffer: { spill_path: join(dir, 'buffer.jsonl') } },
      masking: { hash_key: 'a test key of at least sixteen characters' },
    });
    const c = await connectClient(`${gw.regate.url}/mcp/crm`, 'streamable-http', { headers: { Authorization: `Bearer ${await gw.token('alice', ['mcp-readers'])}` } });
    single = (await c.client.callTool({ name: 'get_customer', arguments: { id: cus.id } })) as CallResult;
    listed = (await c.client.callTool({ name: 'list_customers', arguments: {} })) as CallResult;
    await c.close();
    await gw.stop();
    events = (await readFile(join(dir, 'transcripts.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TranscriptEvent);
  });
  after(async () => {
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const planted = () => [cus.email, cus.phone, cus.card_number, cus.iban];

  it('masks each PII field of a structured result in the style the policy asks for', () => {
    const got = single.structuredContent!.customer!;
    assert.equal(got.id, cus.id, 'what is not PII is left alone');
    assert.ok(got.card_number.endsWith(cus.card_number.replace(/\D/g, '').slice(-4)), `card keeps its last four: ${got.card_number}`);
    assert.notEqual(got.card_number, cus.card_number);
    assert.notEqual(got.iban, cus.iban);
    assert.match(got.email, /^\[HASH:/);
    assert.match(got.phone, /^\[REDACTED/);
  });

  it('masks the JSON text twin of the result too, so no planted value reaches the client', () => {
    const all = JSON.stringify([single, listed]);
    for (const v of planted()) assert.equal(all.includes(v), false, `${v} leaked to the client`);
  });

  it('counts what was masked, per path, on the recorded response', () => {
    const response = events.find((e) => e.kind === 'response' && e.tool === 'get_customer')!;
    const masked = response.masked as Record<string, number>;
    assert.ok(Object.values(masked).reduce((a, b) => a + b, 0) >= 4, JSON.stringify(masked));
  });

  it('records only the masked form: no planted value in any transcript event', () => {
    const all = JSON.stringify(events);
    for (const c of CUSTOMERS as unknown as Customer[]) {
      for (const v of [c.email, c.card_number, c.iban]) assert.equal(all.includes(v), false, `${v} is in the transcript`);
    }
  });
});
