import assert from 'node:assert/strict';
import pino from 'pino';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import type { CallRecord, ExchangeFacts } from '../../../src/pipeline/call-record.ts';
import { isRegateRequestId } from '../../../src/mcp/reserved.ts';
import { ClientRequests, type RequestOwner } from '../../../src/proxy/client-requests.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';

const log = () => pino({ level: 'silent' });
const alice: RequestOwner = { principal: 'alice', connection: 'crm', sessionId: 's-a' };
const call = {} as CallRecord;
const never = new AbortController().signal;

/** A channel whose sent requests are collected. */
function channelOf(requests: ClientRequests, owner: RequestOwner, sent: JSONRPCMessage[], ok = true) {
  return requests.channel(owner, async (m) => {
    sent.push(m);
    return ok;
  });
}

const answer = (id: unknown, result: unknown = { action: 'accept', content: { justification: 'why' } }) => ({ jsonrpc: '2.0', id, result }) as JSONRPCMessage;
/** The exchange facts a request owner stands for (what the proxy hands over). */
const factsOf = (o: RequestOwner) => ({ principal: { id: o.principal }, connection: { name: o.connection }, sessionId: o.sessionId }) as unknown as ExchangeFacts;
const tick = () => new Promise((r) => setImmediate(r));

describe('requests regate puts to a client, and their answers', () => {
  it('sends a request with an unguessable id of its own namespace and settles with the answer', async () => {
    const requests = new ClientRequests({ log });
    const sent: JSONRPCMessage[] = [];
    const pending = channelOf(requests, alice, sent).request('elicitation/create', { message: 'why?' }, { call, signal: never, timeoutMs: 5000 });
    await tick();
    const id = (sent[0] as { id: string }).id;
    assert.ok(isRegateRequestId(id));
    assert.match(id, /^regate-ask-[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(requests.take(factsOf(alice), [answer(id)]), []);
    assert.deepEqual(await pending, { kind: 'result', result: { action: 'accept', content: { justification: 'why' } } });
    assert.equal(requests.size, 0);
  });

  it('passes every other message through untouched, in order', () => {
    const requests = new ClientRequests({ log });
    const messages = [answer(7), { jsonrpc: '2.0', id: 'regate-ask-x', method: 'tools/call', params: {} } as JSONRPCMessage, answer('ask-regate-')];
    assert.equal(requests.take(factsOf(alice), messages), messages);
    const mixed = [answer(1), answer('regate-ask-unknown'), answer(2)];
    assert.deepEqual(requests.take(factsOf(alice), mixed), [answer(1), answer(2)], 'an answer in regate\'s namespace is never forwarded, even unknown');
  });

  it('ignores an answer from another principal, connection or session: the request keeps waiting', async () => {
    const requests = new ClientRequests({ log });
    const sent: JSONRPCMessage[] = [];
    const pending = channelOf(requests, alice, sent).request('elicitation/create', {}, { call, signal: never, timeoutMs: 5000 });
    await tick();
    const id = (sent[0] as { id: string }).id;
    for (const other of [{ ...alice, principal: 'mallory' }, { ...alice, connection: 'hr' }, { ...alice, sessionId: 's-other' }, { ...alice, sessionId: undefined }]) {
      assert.deepEqual(requests.take(factsOf(other), [answer(id, { action: 'accept', content: { justification: 'forged' } })]), []);
    }
    assert.equal(requests.size, 1);
    requests.take(factsOf(alice), [answer(id, { action: 'decline' })]);
    assert.deepEqual(await pending, { kind: 'result', result: { action: 'decline' } });
  });

  it('settles unanswered on timeout, abort, or a stream that is gone, and forgets the request', async () => {
    const requests = new ClientRequests({ log });
    const sent: JSONRPCMessage[] = [];
    assert.deepEqual(await channelOf(requests, alice, sent).request('x', {}, { call, signal: never, timeoutMs: 20 }), { kind: 'unanswered', why: 'timeout' });
    const ac = new AbortController();
    const aborted = channelOf(requests, alice, sent).request('x', {}, { call, signal: ac.signal, timeoutMs: 5000 });
    ac.abort();
    assert.deepEqual(await aborted, { kind: 'unanswered', why: 'aborted' });
    assert.deepEqual(await channelOf(requests, alice, [], false).request('x', {}, { call, signal: never, timeoutMs: 5000 }), { kind: 'unanswered', why: 'closed' });
    assert.equal(requests.size, 0);
    const late = (sent[0] as { id: string }).id;
    assert.deepEqual(requests.take(factsOf(alice), [answer(late)]), [], 'a late answer is dropped, not forwarded');
  });

  it('an error answer says so', async () => {
    const requests = new ClientRequests({ log });
    const sent: JSONRPCMessage[] = [];
    const pending = channelOf(requests, alice, sent).request('x', {}, { call, signal: never, timeoutMs: 5000 });
    await tick();
    requests.take(factsOf(alice), [{ jsonrpc: '2.0', id: (sent[0] as { id: string }).id, error: { code: -32601, message: 'no forms here' } } as JSONRPCMessage]);
    assert.deepEqual(await pending, { kind: 'error', message: 'no forms here' });
  });

  it('bounds the requests waiting per principal, so one principal cannot starve the others', async () => {
    const requests = new ClientRequests({ log });
    const ac = new AbortController();
    const waiting = Array.from({ length: 32 }, (_, i) => channelOf(requests, { ...alice, sessionId: `s-${i}` }, []).request('x', {}, { call, signal: ac.signal, timeoutMs: 5000 }));
    await tick();
    assert.deepEqual(await channelOf(requests, alice, []).request('x', {}, { call, signal: never, timeoutMs: 5000 }), { kind: 'unanswered', why: 'limit' });
    const bob = channelOf(requests, { ...alice, principal: 'bob' }, []).request('x', {}, { call, signal: never, timeoutMs: 20 });
    assert.deepEqual(await bob, { kind: 'unanswered', why: 'timeout' }, 'another principal is still asked');
    assert.equal(requests.awaits(factsOf({ ...alice, sessionId: 's-3' })), true);
    assert.equal(requests.awaits(factsOf({ ...alice, sessionId: 's-none' })), false);
    ac.abort();
    assert.ok((await Promise.all(waiting)).every((a) => a.kind === 'unanswered' && a.why === 'aborted'));
    assert.equal(requests.size, 0);
  });

  it('relays nothing for an id the store does not know, nor an oversized answer', async () => {
    const store = new MemoryStore();
    const published: string[] = [];
    await store.subscribe('client-answers', (m) => void published.push(m));
    const other = new ClientRequests({ store, log });
    other.take(factsOf(alice), [answer('regate-ask-made-up')]);
    const holder = new ClientRequests({ store, log });
    const sent: JSONRPCMessage[] = [];
    void channelOf(holder, alice, sent).request('x', {}, { call, signal: never, timeoutMs: 200 });
    await new Promise((r) => setTimeout(r, 10));
    other.take(factsOf(alice), [answer((sent[0] as { id: string }).id, { action: 'accept', content: { justification: 'x'.repeat(20_000) } })]);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(published, []);
    await holder.close();
    await other.close();
    await store.close();
  });

  it('an answer that reaches another replica is passed on through the store, owner checked by the holder', async () => {
    const store = new MemoryStore();
    const holder = new ClientRequests({ store, log });
    const other = new ClientRequests({ store, log });
    const sent: JSONRPCMessage[] = [];
    const pending = channelOf(holder, alice, sent).request('x', {}, { call, signal: never, timeoutMs: 5000 });
    await tick();
    const id = (sent[0] as { id: string }).id;
    assert.deepEqual(other.take(factsOf({ ...alice, principal: 'mallory' }), [answer(id, { action: 'accept', content: { justification: 'forged' } })]), []);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(holder.size, 1, 'another principal\'s answer relayed is refused by the holder');
    assert.deepEqual(other.take(factsOf(alice), [answer(id)]), []);
    assert.deepEqual(await pending, { kind: 'result', result: { action: 'accept', content: { justification: 'why' } } });
    await holder.close();
    await other.close();
    await store.close();
  });
});
