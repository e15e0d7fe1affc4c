import assert from 'node:assert/strict';
import { acceptedJustification, inlineJustification, justificationForm, justificationOf, NO_JUSTIFICATION } from '../../../src/approvals/justification.ts';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import type { CallRecord } from '../../../src/pipeline/call-record.ts';

const call = (protocolVersion: string | undefined) => ({ exchange: { protocolVersion }, decision: { approval: { reason: 'destructive' } } }) as unknown as CallRecord;
const retry = (inputResponses: unknown) =>
  ({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'delete_customer', arguments: { id: 'c' }, inputResponses, _meta: { k: 1 } } }) as JSONRPCMessage;

describe('the requester\'s justification', () => {
  it('from _meta["regate/justification"], trimmed and capped, else "none given"', () => {
    const m = (j: unknown) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', _meta: { 'regate/justification': j } } }) as JSONRPCMessage;
    assert.equal(justificationOf(m('  ticket 9 ')), 'ticket 9');
    assert.equal(justificationOf(m('   ')), NO_JUSTIFICATION);
    assert.equal(justificationOf(m(42)), NO_JUSTIFICATION);
    assert.equal(justificationOf(m('x'.repeat(5000))), `${'x'.repeat(1000)}...[4000 more characters]`);
  });

  it('asks with one required string field; `mode: form` only from 2025-11-25 on', () => {
    const modern = justificationForm(call('2026-07-28'), 'the call to tool "delete_customer"');
    assert.equal(modern.mode, 'form');
    assert.match(String(modern.message), /regate holds the call to tool "delete_customer" for human approval \(destructive\)\. Why do you need this call\?/);
    assert.deepEqual((modern.requestedSchema as { required: string[] }).required, ['justification']);
    assert.equal('mode' in justificationForm(call('2025-06-18'), 'x'), false);
    assert.equal('mode' in justificationForm(call(undefined), 'x'), false);
  });

  it('takes only an accepted, non-empty answer', () => {
    assert.equal(acceptedJustification({ action: 'accept', content: { justification: ' why ' } }), 'why');
    for (const other of [{ action: 'decline' }, { action: 'cancel' }, { action: 'accept', content: {} }, { action: 'accept', content: { justification: 7 } }, { action: 'accept', content: { justification: '' } }, undefined, 'accept']) {
      assert.equal(acceptedJustification(other), undefined, JSON.stringify(other));
    }
  });

  it('2026: finds regate\'s answer in inputResponses and forwards the call without it', () => {
    assert.deepEqual(inlineJustification(retry(undefined)), { answered: false });
    assert.deepEqual(inlineJustification(retry({ confirm: { action: 'accept' } })), { answered: false });
    const only = inlineJustification(retry({ 'regate/justification': { action: 'accept', content: { justification: 'because' } } }));
    assert.ok(only.answered);
    assert.equal(only.justification, 'because');
    assert.deepEqual((only.forwarded as unknown as { params: Record<string, unknown> }).params, { name: 'delete_customer', arguments: { id: 'c' }, _meta: { k: 1 } });
    const mixed = inlineJustification(retry({ 'regate/justification': { action: 'decline' }, confirm: { action: 'accept', content: { confirm: true } } }));
    assert.ok(mixed.answered);
    assert.equal(mixed.justification, NO_JUSTIFICATION);
    assert.deepEqual((mixed.forwarded as unknown as { params: { inputResponses: unknown } }).params.inputResponses, { confirm: { action: 'accept', content: { confirm: true } } });
  });
});
