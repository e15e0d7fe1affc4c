import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { holdingStage } from '../../helpers/hold-stage.ts';
import { openLegacyStream } from '../../helpers/legacy-stream.ts';
import { messagesOf, postMcp } from '../../helpers/mcp-http.ts';
import { startTestRegate } from '../../helpers/regate.ts';

/**
 * An exchange's abort signal is registered with the lifecycle (a drain answers held calls) until
 * its response closes, however it ends. Found by a review: one that finished without an abort
 * stayed registered for ever, for every held call, and for every legacy GET and POST (whose facts
 * were copied by a spread that ran the lazy `signal` getter).
 */
describe('pipeline: finished exchanges leave nothing registered for the drain', function () {
  this.timeout(20_000);
  let up: RawUpstream;
  let legacyUp: RawUpstream;
  let regate: RunningRegate;

  before(async () => {
    up = await startRawUpstream((_req, res, body) => {
      const m = JSON.parse(body) as { id?: unknown };
      if (m.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }));
    });
    legacyUp = await startRawUpstream((req, res) => {
      if (req.method !== 'GET') return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: /messages?sid=1\n\n');
    });
    regate = await startTestRegate(
      { connections: [{ name: 'up', url: up.url }, { name: 'legacy', url: legacyUp.url, transport: 'sse' }] },
      { stages: [holdingStage('held', 30)] },
    );
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([up?.close(), legacyUp?.close()]);
  });

  /** The count once the server has seen its responses close (bounded: at most a second). */
  async function watchersLeft(): Promise<number> {
    for (let i = 0; i < 50 && regate.lifecycle.drainWatchers > 0; i++) await new Promise((r) => setTimeout(r, 20));
    return regate.lifecycle.drainWatchers;
  }

  it('held calls answered in full', async () => {
    for (const accept of ['application/json, text/event-stream', 'application/json']) {
      for (let i = 0; i < 3; i++) {
        const answer = await postMcp(`${regate.url}/mcp/up`, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'held', arguments: {} } }, { accept });
        assert.deepEqual(messagesOf(answer.items), [{ jsonrpc: '2.0', id: i, result: {} }]);
      }
    }
    assert.equal(await watchersLeft(), 0);
  });

  it('legacy streams and the POSTs of their sessions', async () => {
    for (let s = 0; s < 2; s++) {
      const stream = new AbortController();
      const { post } = await openLegacyStream(regate.url, 'legacy', stream.signal);
      for (let i = 0; i < 3; i++) assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
      stream.abort();
    }
    assert.equal(await watchersLeft(), 0);
  });
});
