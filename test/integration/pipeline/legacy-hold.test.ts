import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { holdingStage } from '../../helpers/hold-stage.ts';
import { openLegacyStream } from '../../helpers/legacy-stream.ts';
import { startTestRegate } from '../../helpers/regate.ts';

/**
 * On the legacy HTTP+SSE transport a held call's answer travels on the client's stream, and the
 * POST that carried the call is answered at once: the hold must end with the stream, not with that
 * POST (found by a hostile review: the call ran after its client had gone).
 */
describe('pipeline: a held call on a legacy SSE session', function () {
  this.timeout(20_000);
  let up: RawUpstream;
  let regate: RunningRegate;
  const hold = holdingStage('held', 1000);
  before(async () => {
    up = await startRawUpstream((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: endpoint\ndata: /messages?sid=1\n\n');
        return;
      }
      res.writeHead(202).end();
    });
    regate = await startTestRegate({ connections: [{ name: 'up', url: up.url, transport: 'sse' }] }, { stages: [hold] });
  });
  after(async () => {
    await regate?.stop();
    await up?.close();
  });

  it('is cancelled when the client closes its stream: the upstream never receives it', async () => {
    const stream = new AbortController();
    const { post } = await openLegacyStream(regate.url, 'up', stream.signal);
    const held = await post({ jsonrpc: '2.0', id: 'gone-legacy', method: 'tools/call', params: { name: 'held', arguments: {} } });
    assert.equal(held.status, 202);
    stream.abort();
    await new Promise((r) => setTimeout(r, 1600));
    assert.deepEqual(up.seen.filter((s) => s.body.includes('gone-legacy')), []);
  });

  it('refuses, on the stream, a request reusing the id of a call still held', async () => {
    const stream = new AbortController();
    const { reader, post } = await openLegacyStream(regate.url, 'up', stream.signal);
    try {
      assert.equal((await post({ jsonrpc: '2.0', id: 'held-id', method: 'tools/call', params: { name: 'held', arguments: {} } })).status, 202);
      assert.equal((await post({ jsonrpc: '2.0', id: 'held-id', method: 'ping' })).status, 202);
      let text = '';
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 3000)));
      while (!text.includes('already in use')) {
        const chunk = await Promise.race([reader.read(), timeout]);
        if (chunk === undefined || chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      clearTimeout(timer);
      assert.match(text, /"id":"held-id".*already in use/);
      assert.deepEqual(up.seen.filter((s) => s.body.includes('held-id') && s.body.includes('ping')), []);
    } finally {
      stream.abort();
    }
  });
});
