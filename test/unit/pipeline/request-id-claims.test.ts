import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { buildConfig } from '../../../src/config/load.ts';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import type { ExchangeFacts } from '../../../src/pipeline/call-record.ts';
import { composePipeline } from '../../../src/pipeline/compose.ts';
import type { Stage } from '../../../src/pipeline/stage.ts';
import { InFlightRequests } from '../../../src/proxy/in-flight.ts';

const connection = buildConfig({ connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }] }, {}).connections[0]!;
const facts: ExchangeFacts = {
  requestId: 'r1',
  connection,
  sessionId: 's1',
  era: '2025',
  protocolVersion: undefined,
  http: { method: 'POST', path: '/mcp/crm', remoteAddress: '127.0.0.1', headers: {} },
  principal: undefined,
  signal: new AbortController().signal,
};
const request = (id: number, method: string) => ({ jsonrpc: '2.0', id, method, params: {} }) as JSONRPCMessage;
/** A POST's response: open until `close()`. */
const response = () => Object.assign(new EventEmitter(), { closed: false }) as unknown as ServerResponse & { emit(e: 'close'): boolean };
/** A stage that takes a while to decide (a policy asking its store), and refuses pings named `deny`. */
const slow: Stage = {
  name: 'slow',
  async request(call) {
    await new Promise((r) => setTimeout(r, 5));
    return (call.message as { params?: { deny?: boolean } }).params?.deny === true ? { action: 'reply' } : { action: 'continue' };
  },
};

/**
 * Request ids are claimed in the same step as they are checked: two POSTs of one session admitted
 * together cannot both take an id while the stages decide (found by a review: both were forwarded).
 */
describe('pipeline: request ids claimed across the concurrent POSTs of one session', () => {
  const pipeline = composePipeline([slow], { log: pino({ level: 'silent' }) });
  const key = InFlightRequests.keyOf(facts);

  it('forwards only one of two POSTs admitted together that reuse one id; the other is refused', async () => {
    const inFlight = new InFlightRequests();
    const [a, b] = await Promise.all([
      pipeline.admit(facts, [request(1, 'tools/call')], inFlight.claims(key, response())),
      pipeline.admit(facts, [request(1, 'ping')], inFlight.claims(key, response())),
    ]);
    assert.deepEqual([a.forwarded.length, b.forwarded.length], [1, 0]);
    assert.match(JSON.stringify(b.local[0]!.message), /already in use/);
  });

  it('frees an id when the answer of its POST closes', async () => {
    const inFlight = new InFlightRequests();
    const res = response();
    await pipeline.admit(facts, [request(1, 'tools/call')], inFlight.claims(key, res));
    assert.equal((await pipeline.admit(facts, [request(1, 'ping')], inFlight.claims(key, response()))).forwarded.length, 0);
    res.emit('close');
    assert.equal(inFlight.size, 0);
    assert.equal((await pipeline.admit(facts, [request(1, 'ping')], inFlight.claims(key, response()))).forwarded.length, 1);
  });

  it('frees at once the id of a call the pipeline answers itself (never sent upstream)', async () => {
    const inFlight = new InFlightRequests();
    const refused = await pipeline.admit(facts, [{ jsonrpc: '2.0', id: 2, method: 'ping', params: { deny: true } } as JSONRPCMessage], inFlight.claims(key, response()));
    assert.equal(refused.forwarded.length, 0);
    assert.equal(inFlight.size, 0);
    assert.equal((await pipeline.admit(facts, [request(2, 'ping')], inFlight.claims(key, response()))).forwarded.length, 1);
  });

  it('keeps nothing for a POST whose client already hung up', async () => {
    const inFlight = new InFlightRequests();
    const gone = Object.assign(response(), { closed: true });
    assert.equal((await pipeline.admit(facts, [request(3, 'ping')], inFlight.claims(key, gone))).forwarded.length, 1);
    assert.equal(inFlight.size, 0);
  });
});
