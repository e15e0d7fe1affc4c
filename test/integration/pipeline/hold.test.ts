import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { messagesOf, postMcp } from '../../helpers/mcp-http.ts';
import { holdingStage } from '../../helpers/hold-stage.ts';
import { startTestRegate } from '../../helpers/regate.ts';

type Msg = { id?: unknown; method?: string; params?: { name?: string } };

/** Answers every request with a result naming the tool it ran, as JSON or as an SSE stream. */
function answers(body: string): Array<Record<string, unknown>> {
  const parsed = JSON.parse(body) as Msg | Msg[];
  return (Array.isArray(parsed) ? parsed : [parsed])
    .filter((m) => m.id !== undefined)
    .map((m) => ({ jsonrpc: '2.0', id: m.id, result: { ran: m.params?.name ?? m.method } }));
}

/**
 * A stage can hold a call (as approvals will) without holding anything else: the rest of the
 * batch and the session are answered at once, the held call's client sees keepalives and progress,
 * then the upstream's answer; a client that hangs up cancels the call before it goes upstream.
 */
describe('pipeline: a held call', function () {
  this.timeout(30_000);
  let jsonUp: RawUpstream;
  let sseUp: RawUpstream;
  let regate: RunningRegate;
  const HOLD_MS = 2000;

  /** Holds every tools/call of the tool "held" for HOLD_MS, or until the exchange is aborted. */
  const holdStage = holdingStage('held', HOLD_MS);

  /** Like a stateful server: a request without a session starts session "s-1". */
  const issued = (req: { headers: Record<string, unknown> }) => (req.headers['mcp-session-id'] === undefined ? { 'mcp-session-id': 's-1' } : {});

  before(async () => {
    jsonUp = await startRawUpstream((_req, res, body) => {
      const out = answers(body);
      if (out.length === 0) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json', ...issued(_req) }).end(JSON.stringify(out.length === 1 ? out[0] : out));
    });
    sseUp = await startRawUpstream((_req, res, body) => {
      const out = answers(body);
      if (out.length === 0) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'text/event-stream', ...issued(_req) });
      for (const [i, m] of out.entries()) res.write(`id: up-${i}\nevent: message\ndata: ${JSON.stringify(m)}\n\n`);
      res.end();
    });
    regate = await startTestRegate(
      { connections: [{ name: 'json', url: jsonUp.url }, { name: 'sse', url: sseUp.url }] },
      { stages: [holdStage], holdKeepaliveSeconds: 0.4 },
    );
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([jsonUp?.close(), sseUp?.close()]);
  });

  for (const name of ['json', 'sse'] as const) {
    it(`answers the rest of the batch and of the session at once, then the held call (upstream answers ${name.toUpperCase()})`, async () => {
      const url = `${regate.url}/mcp/${name}`;
      const batch = [
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'held', arguments: {}, _meta: { progressToken: 'tok-1' } } },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'quick', arguments: {} } },
      ];
      // regate admits only a session it saw the upstream issue.
      await postMcp(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} });
      const held = postMcp(url, batch, { headers: { 'mcp-session-id': 's-1' } });
      // Another request of the same session while the call is held.
      await new Promise((r) => setTimeout(r, 200));
      const other = await postMcp(url, { jsonrpc: '2.0', id: 3, method: 'ping' }, { headers: { 'mcp-session-id': 's-1' } });
      const otherDone = performance.now();
      const { status, items } = await held;
      const heldDone = performance.now();

      assert.equal(status, 200);
      assert.deepEqual(messagesOf(other.items), [{ jsonrpc: '2.0', id: 3, result: { ran: 'ping' } }]);
      assert.ok(heldDone - otherDone > HOLD_MS / 2, 'the other request of the session was answered while the call was held');

      const quick = items.find((i) => i.message?.id === 2)!;
      const heldAnswer = items.find((i) => i.message?.id === 1)!;
      assert.deepEqual(quick.message, { jsonrpc: '2.0', id: 2, result: { ran: 'quick' } });
      assert.ok(quick.at < HOLD_MS / 2, `the rest of the batch came at once (${Math.round(quick.at)} ms)`);
      assert.deepEqual(heldAnswer.message, { jsonrpc: '2.0', id: 1, result: { ran: 'held' } });
      assert.ok(heldAnswer.at >= HOLD_MS - 50, `the held call was answered after its hold (${Math.round(heldAnswer.at)} ms)`);

      const during = items.filter((i) => i.at < heldAnswer.at);
      assert.ok(during.some((i) => i.kind === 'comment'), 'keepalive comments flowed during the hold');
      const progress = during.filter((i) => i.message?.method === 'notifications/progress').map((i) => i.message!.params as Record<string, unknown>);
      assert.ok(progress.length >= 2, 'progress notifications were sent for the progressToken');
      assert.equal(progress[0]!.progressToken, 'tok-1');
      assert.match(String(progress[0]!.message), /waiting for a test approver/);
    });
  }

  it('a client that accepts only JSON gets every answer in one JSON body once the hold ends', async () => {
    const { status, items } = await postMcp(`${regate.url}/mcp/json`, [
      { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'held', arguments: {} } },
      { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'quick', arguments: {} } },
    ], { accept: 'application/json' });
    assert.equal(status, 200);
    assert.deepEqual(messagesOf(items).map((m) => m.id).sort(), ['a', 'b']);
    assert.ok(items[0]!.at >= HOLD_MS - 50);
  });

  it('a client that hangs up during the hold cancels the call: the upstream never receives it', async () => {
    const before = jsonUp.seen.length;
    const abort = new AbortController();
    const pending = postMcp(`${regate.url}/mcp/json`, { jsonrpc: '2.0', id: 'gone-1', method: 'tools/call', params: { name: 'held', arguments: {} } }, { signal: abort.signal }).catch(
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    await pending;
    await new Promise((r) => setTimeout(r, HOLD_MS + 500));
    assert.deepEqual(jsonUp.seen.slice(before).filter((s) => s.body.includes('gone-1')), []);
  });

  it('a draining regate answers a held call with a reason instead of cutting it', async () => {
    const own = await startTestRegate({ connections: [{ name: 'json', url: jsonUp.url }], shutdown: { grace_seconds: 5 } }, { stages: [holdStage], holdKeepaliveSeconds: 0.4 });
    const before = jsonUp.seen.length;
    const pending = postMcp(`${own.url}/mcp/json`, { jsonrpc: '2.0', id: 'drain-1', method: 'tools/call', params: { name: 'held', arguments: {} } });
    await new Promise((r) => setTimeout(r, 300));
    await own.stop();
    const msgs = messagesOf((await pending).items).filter((m) => m.id === 'drain-1');
    assert.equal(msgs.length, 1);
    const error = msgs[0]!.error as { message: string; data: { code: string } };
    assert.equal(error.data.code, 'REGATE_ERR_HOLD_INTERRUPTED');
    assert.match(error.message, /was not made; retry it/);
    assert.deepEqual(jsonUp.seen.slice(before).filter((s) => s.body.includes('drain-1')), []);
  });
});
