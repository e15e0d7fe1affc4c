import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { startTestRegate } from '../../helpers/regate.ts';

/**
 * What an upstream can put in an SSE stream besides messages (comments, event ids) never carries
 * its text to the client: comments become regate's own keepalive, and only plain, short event ids
 * pass (found by a hostile review: a comment and an id holding a card number and an email).
 */
describe('SSE comments and event ids from the upstream', function () {
  this.timeout(20_000);
  let up: RawUpstream;
  let regate: RunningRegate;
  before(async () => {
    up = await startRawUpstream((_req, res, body) => {
      const m = JSON.parse(body) as { id: unknown };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': debug customer card 4111 1111 1111 1111\n\n');
      res.write(`id: evt-dave@example.com\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } })}\n\n`);
      res.end(`id: 0f8e3c1a-1\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} })}\n\n`);
    });
    regate = await startTestRegate({ connections: [{ name: 'up', url: up.url }] });
  });
  after(async () => {
    await regate?.stop();
    await up?.close();
  });

  it("replaces the upstream's comment text and drops an id that is not a plain token", async () => {
    const res = await fetch(`${regate.url}/mcp/up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    const text = await res.text();
    assert.equal(text.includes('4111'), false, text);
    assert.equal(text.includes('dave@example.com'), false, text);
    assert.match(text, /^: keepalive$/m);
    assert.match(text, /^id: 0f8e3c1a-1$/m, 'a plain id is kept, so clients can resume');
  });
});
