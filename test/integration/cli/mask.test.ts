import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCustomers } from '../../../src/demo/customers.ts';

const main = join(import.meta.dirname, '../../../src/main.ts');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { exited, out: () => out, err: () => err };
}

async function files(entries: Record<string, unknown>): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'regate-mask-'));
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(entries)) {
    paths[name] = join(dir, name);
    await writeFile(paths[name], typeof content === 'string' ? content : JSON.stringify(content));
  }
  return paths;
}

/** What the demo CRM answers to get_customer, as a JSON-RPC response. */
const customer = generateCustomers(1)[0]!;
const getCustomerResult = {
  jsonrpc: '2.0',
  id: 3,
  result: { content: [{ type: 'text', text: JSON.stringify({ customer }, null, 2) }], structuredContent: { customer } },
};
const reader = { type: 'user', id: 'alice', name: 'Alice', tenant: 'dev', groups: ['mcp-readers'], roles: [], scopes: [], client_id: 'x', issuer: 'x', expires_at: 0 };
const getCustomerInput = {
  principal: reader,
  connection: { name: 'crm', tags: [] },
  mcp: { method: 'tools/call', id: 3, tool: { name: 'get_customer', arguments: { id: customer.id } } },
  session: { calls: 1 },
  http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: {} },
};

describe('regate mask and the masks of regate eval', function () {
  this.timeout(30_000);

  it("eval shows the masks of the default policy's get_customer, and mask applies them to the demo's answer", async () => {
    const f = await files({ 'input.json': getCustomerInput, 'result.json': getCustomerResult });
    const evaluated = run(['eval', '--input', f['input.json']!]);
    assert.equal(await evaluated.exited, 0, evaluated.err());
    const decision = JSON.parse(evaluated.out()) as { masks: { paths: Record<string, string>; detectors: Record<string, string>; invalid: string[] } };
    assert.equal(decision.masks.paths['$.structuredContent.customer.card_number'], 'last4');
    assert.equal(decision.masks.detectors.email, 'redact');
    assert.deepEqual(decision.masks.invalid, []);

    const eval_out = await files({ 'decision.json': evaluated.out() });
    const masked = run(['mask', '--input', f['result.json']!, '--obligations', eval_out['decision.json']!]);
    assert.equal(await masked.exited, 0, masked.err());
    for (const planted of [customer.email, customer.phone, customer.card_number, customer.iban]) assert.ok(!masked.out().includes(planted), `${planted} printed in clear`);
    const out = JSON.parse(masked.out()) as { masked: Record<string, number>; message: typeof getCustomerResult };
    assert.equal(out.masked['$.structuredContent.customer.card_number'], 2, 'structuredContent and its JSON text twin');
    assert.equal(out.message.result.structuredContent.customer.card_number, `************${customer.card_number.slice(-4)}`.slice(-customer.card_number.length));
    assert.equal(out.message.result.structuredContent.customer.name, customer.name);
  });

  it('--detectors all masks every detector, and hashes correlate across runs with masking.hash_key from the environment', async () => {
    const f = await files({
      'regate.yaml': 'connections: [{ name: crm, url: "http://127.0.0.1:1/mcp" }]\nmasking: { hash_key: "${MASK_KEY}" }\npolicy: { bundle: { path: none.tar.gz } }\n',
      'result.json': { content: [{ type: 'text', text: 'card 4111 1111 1111 1111 from 10.0.0.1 by ada@example.com' }] },
    });
    const all = run(['mask', '--config', f['regate.yaml']!, '--input', f['result.json']!, '--detectors', 'all'], { MASK_KEY: 'k'.repeat(32) });
    assert.equal(await all.exited, 0, all.err());
    const out = JSON.parse(all.out()) as { message: { content: { text: string }[] }; masked: Record<string, number> };
    assert.equal(out.message.content[0]!.text, 'card [REDACTED:credit_card] from [REDACTED:ip] by [REDACTED:email]');
    assert.deepEqual(out.masked, { credit_card: 1, ip: 1, email: 1 });

    const hashes = await Promise.all(
      [1, 2].map(async () => {
        const p = run(['mask', '--config', f['regate.yaml']!, '--input', f['result.json']!, '--detectors', 'email', '--style', 'hash'], { MASK_KEY: 'k'.repeat(32) });
        assert.equal(await p.exited, 0, p.err());
        return (JSON.parse(p.out()) as { message: { content: { text: string }[] } }).message.content[0]!.text;
      }),
    );
    assert.match(hashes[0]!, /\[HASH:email:[0-9a-f]{8}\]/);
    assert.equal(hashes[0], hashes[1]);
  });

  it('applies custom detectors from a data document', async () => {
    const f = await files({
      'data.json': { regate: { masking: { detectors: { employee_id: { pattern: 'EMP-[0-9]{6}' } } } } },
      'result.json': { content: [{ type: 'text', text: 'owner EMP-123456' }] },
    });
    const p = run(['mask', '--input', f['result.json']!, '--data', f['data.json']!, '--detectors', 'employee_id']);
    assert.equal(await p.exited, 0, p.err());
    assert.equal((JSON.parse(p.out()) as { message: { content: { text: string }[] } }).message.content[0]!.text, 'owner [REDACTED:employee_id]');
  });

  const refusals: [name: string, entries: Record<string, unknown>, args: (f: Record<string, string>) => string[], code: RegExp][] = [
    [
      'a message over masking.max_message_bytes, naming the limit',
      { 'regate.yaml': 'connections: [{ name: crm, url: "http://127.0.0.1:1/mcp" }]\nmasking: { max_message_bytes: 64 }\n', 'result.json': { content: [{ type: 'text', text: 'x'.repeat(100) }] } },
      (f) => ['--config', f['regate.yaml']!, '--input', f['result.json']!, '--detectors', 'all'],
      /REGATE_ERR_MASK_LIMIT.*masking\.max_message_bytes \(64\)/,
    ],
    [
      'an obligation naming an unknown detector',
      { 'ob.json': [{ detector: 'passport', style: 'redact' }], 'result.json': { content: [] } },
      (f) => ['--input', f['result.json']!, '--obligations', f['ob.json']!],
      /REGATE_ERR_MASK_OBLIGATION.*passport/,
    ],
  ];
  for (const [name, entries, args, code] of refusals) {
    it(`refuses ${name} with one line and a non-zero exit`, async () => {
      const p = run(['mask', ...args(await files(entries))]);
      assert.notEqual(await p.exited, 0);
      assert.match(p.err(), code);
      assert.equal(p.err().trim().split('\n').length, 1);
    });
  }
});
