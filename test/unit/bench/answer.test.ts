import assert from 'node:assert/strict';
import { classifyAnswer, echoesNonce, returnsCustomer, returnsMaskedCustomer, type Outcome } from '../../../scripts/bench/answer.ts';

const json = (m: unknown) => JSON.stringify(m);
const sse = (m: unknown) => `event: message\ndata: ${JSON.stringify(m)}\n\n`;
const denial = { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'regate policy denied ...' }], isError: true, _meta: { 'regate/decision': { rule: 'regate.session.call_limit' } } } };

describe('the proxy benchmark counts only answers that did the real work', () => {
  const cases: ReadonlyArray<{ name: string; status: number; body: string; expect: Outcome }> = [
    { name: 'the upstream answer echoing this call’s nonce', status: 200, body: json({ jsonrpc: '2.0', id: 7, result: { structuredContent: { nonce: 'n7' } } }), expect: { kind: 'ok' } },
    { name: 'the same answer framed as an SSE event', status: 200, body: sse({ jsonrpc: '2.0', id: 7, result: { structuredContent: { nonce: 'n7' } } }), expect: { kind: 'ok' } },
    { name: 'regate’s tool-result denial (the old benchmark counted these)', status: 200, body: json(denial), expect: { kind: 'denied', rule: 'regate.session.call_limit' } },
    {
      name: 'a JSON-RPC policy denial',
      status: 200,
      body: json({ jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'denied', data: { code: 'REGATE_ERR_POLICY_DENIED', rule: 'regate.x' } } }),
      expect: { kind: 'denied', rule: 'regate.x' },
    },
    { name: 'another call’s nonce', status: 200, body: json({ jsonrpc: '2.0', id: 7, result: { structuredContent: { nonce: 'n8' } } }), expect: { kind: 'failed', detail: 'nonce mismatch: sent n7, got "n8"' } },
    { name: 'an answer to another request id', status: 200, body: json({ jsonrpc: '2.0', id: 8, result: { structuredContent: { nonce: 'n7' } } }), expect: { kind: 'failed', detail: `HTTP 200, no answer with id 7: ${json({ jsonrpc: '2.0', id: 8, result: { structuredContent: { nonce: 'n7' } } })}` } },
    { name: 'a tool error from the upstream', status: 200, body: json({ jsonrpc: '2.0', id: 7, result: { isError: true, content: [] } }), expect: { kind: 'failed', detail: 'tool error: {"isError":true,"content":[]}' } },
    { name: 'a JSON-RPC error that is not a denial', status: 200, body: json({ jsonrpc: '2.0', id: 7, error: { code: -32603, message: 'upstream unavailable' } }), expect: { kind: 'failed', detail: 'JSON-RPC error: upstream unavailable' } },
    { name: 'an HTTP error without a body', status: 502, body: '', expect: { kind: 'failed', detail: 'HTTP 502, no answer with id 7: ' } },
  ];
  for (const c of cases) {
    it(`classifies ${c.name}`, () => {
      assert.deepEqual(classifyAnswer(c.status, c.body, 7, echoesNonce('n7')), c.expect);
    });
  }

  it('checks a demo CRM answer by the record it returns', () => {
    const body = (id: string) => sse({ jsonrpc: '2.0', id: 1, result: { structuredContent: { customer: { id } } } });
    assert.deepEqual(classifyAnswer(200, body('cus_001'), 1, returnsCustomer('cus_001')), { kind: 'ok' });
    assert.equal(classifyAnswer(200, body('cus_002'), 1, returnsCustomer('cus_001')).kind, 'failed');
  });

  it('fails a masked-scenario answer through regate that carries a masked field in clear, and accepts it from the upstream', () => {
    const clear = { id: 'cus_001', email: 'ada@example.com', phone: '+44 20 7946 0001', card_number: '4111111111111111', iban: 'GB82WEST12345698765432' };
    const masked = { ...clear, email: 'h:1a2b', phone: '[redacted]', card_number: '************1111', iban: '******************5432' };
    const body = (customer: unknown) => sse({ jsonrpc: '2.0', id: 1, result: { structuredContent: { customer }, content: [{ type: 'text', text: JSON.stringify(customer) }] } });
    assert.deepEqual(classifyAnswer(200, body(masked), 1, returnsMaskedCustomer(clear, true)), { kind: 'ok' });
    assert.deepEqual(classifyAnswer(200, body({ ...masked, phone: clear.phone }), 1, returnsMaskedCustomer(clear, true)), { kind: 'failed', detail: 'cus_001: phone in clear' });
    assert.deepEqual(classifyAnswer(200, body(clear), 1, returnsMaskedCustomer(clear, false)), { kind: 'ok' });
    assert.equal(classifyAnswer(200, body({ ...masked, id: 'cus_002' }), 1, returnsMaskedCustomer(clear, true)).kind, 'failed');
  });
});
