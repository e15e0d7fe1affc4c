import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { messagesOf, postMcp } from '../../helpers/mcp-http.ts';
import { startTestRegate } from '../../helpers/regate.ts';
import type { Stage } from '../../../src/pipeline/stage.ts';
import { idOf } from '../../../src/mcp/jsonrpc.ts';

/**
 * A request id still waiting for its answer in a session is refused in another POST of the same
 * session: the upstream routes answers by id within a session, and a reused id could get another
 * request's answer, checked and masked as if it answered this one (found by a hostile review).
 */
describe('pipeline: request ids in flight across the POSTs of one session', function () {
  this.timeout(20_000);
  let up: RawUpstream;
  let regate: RunningRegate;
  before(async () => {
    up = await startRawUpstream(async (_req, res, body) => {
      const m = JSON.parse(body) as { id?: unknown; method?: string };
      if (m.id === undefined) return void res.writeHead(202).end();
      if (m.method === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'upstream-session-1' });
        return void res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'raw', version: '1' } } }));
      }
      if (m.method === 'tools/call') await new Promise((r) => setTimeout(r, 600));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { ran: m.method } }));
    });
    // A stage that takes a moment to decide the calls of the race below (a policy asking its
    // store): two POSTs arriving together are both inside it at once.
    const deliberate: Stage = {
      name: 'test.deliberate',
      request: async (call) => {
        if (idOf(call.message) === 'together') await new Promise((r) => setTimeout(r, 200));
        return { action: 'continue' };
      },
    };
    regate = await startTestRegate({ connections: [{ name: 'up', url: up.url }] }, { stages: [deliberate] });
  });
  after(async () => {
    await regate?.stop();
    await up?.close();
  });

  it('refuses a second request reusing a waiting id in the same session, and accepts it once answered', async () => {
    const url = `${regate.url}/mcp/up`;
    const init = await postMcp(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const session = { 'mcp-session-id': init.headers.get('mcp-session-id')! };
    const slow = postMcp(url, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'slow', arguments: {} } }, { headers: session });
    await new Promise((r) => setTimeout(r, 150));
    const reused = messagesOf((await postMcp(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { headers: session })).items);
    assert.equal((reused[0]!.error as { code: number }).code, -32600);
    assert.match((reused[0]!.error as { message: string }).message, /already in use/);
    assert.deepEqual(messagesOf((await slow).items), [{ jsonrpc: '2.0', id: 5, result: { ran: 'tools/call' } }]);
    const later = messagesOf((await postMcp(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { headers: session })).items);
    assert.deepEqual(later, [{ jsonrpc: '2.0', id: 5, result: { ran: 'ping' } }]);
  });

  it('forwards only one of two POSTs of one session that arrive together reusing an id', async () => {
    const url = `${regate.url}/mcp/up`;
    const init = await postMcp(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const session = { 'mcp-session-id': init.headers.get('mcp-session-id')! };
    const answers = await Promise.all([
      postMcp(url, { jsonrpc: '2.0', id: 'together', method: 'tools/call', params: { name: 'slow', arguments: {} } }, { headers: session }),
      postMcp(url, { jsonrpc: '2.0', id: 'together', method: 'ping' }, { headers: session }),
    ]);
    const messages = answers.flatMap((a) => messagesOf(a.items));
    assert.equal(messages.filter((m) => /already in use/.test(JSON.stringify(m))).length, 1);
    assert.equal(up.seen.filter((s) => s.body.includes('"together"')).length, 1);
  });
});
