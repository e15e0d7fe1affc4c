import assert from 'node:assert/strict';
import http from 'node:http';
import type { RunningRegate } from '../../../src/http/server.ts';
import { EVERYTHING, connectClient, startEverything, type EverythingPeer } from '../../helpers/peers.ts';
import { startTestRegate } from '../../helpers/regate.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

describe('streaming: SSE is relayed event by event, never buffered whole', function () {
  this.timeout(60_000);
  let everything: EverythingPeer;
  let raw: RawUpstream;
  let release: (() => void) | undefined;
  let regate: RunningRegate;

  before(async () => {
    everything = await startEverything('streamableHttp');
    // An upstream that sends a keepalive, one message, then waits for the test before the last one.
    raw = await startRawUpstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keepalive\n\n');
      res.write('event: message\nid: e1\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"first"}}\n\n');
      res.write('event: message\ndata: this is not json\n\n');
      await new Promise<void>((r) => (release = r));
      res.end('event: message\nid: e2\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
    });
    regate = await startTestRegate({
      connections: [
        { name: 'everything', url: everything.url },
        { name: 'raw', url: raw.url },
      ],
    });
  });
  after(async () => {
    release?.();
    await regate?.stop();
    await Promise.all([everything?.stop(), raw?.close()]);
  });

  it('delivers the first progress notification before the long-running tool has finished', async () => {
    const c = await connectClient(`${regate.url}/mcp/everything`, 'streamable-http');
    const progressAt: number[] = [];
    const t0 = performance.now();
    const result = await c.client.callTool(
      { name: EVERYTHING.longRunningTool, arguments: { duration: 2, steps: 4 } },
      undefined,
      { onprogress: () => progressAt.push(performance.now() - t0), timeout: 15_000 },
    );
    const doneAt = performance.now() - t0;
    await c.close();
    assert.equal(progressAt.length, 4, 'every progress notification arrives');
    assert.ok(result.content, 'the tool returns its result');
    // Steps are 0.5 s apart upstream: the first must arrive well before the result, not with it.
    assert.ok(doneAt - progressAt[0]! > 1000, `first progress at ${progressAt[0]} ms, result at ${doneAt} ms`);
    for (let i = 1; i < progressAt.length; i++) assert.ok(progressAt[i]! > progressAt[i - 1]!, 'in order');
  });

  it('flushes each event as it arrives, keeps keepalive comments and ids, and drops what it cannot parse', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const seen: string[] = [];
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${regate.url}/mcp/raw`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      req.on('response', resolve).on('error', reject);
      req.end(body);
    });
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers['content-encoding'], undefined);
    res.setEncoding('utf8');
    // The upstream is still holding the last event: what arrived so far was not buffered.
    for await (const chunk of res) {
      seen.push(chunk as string);
      const text = seen.join('');
      if (text.includes('"first"')) {
        assert.match(text, /^:? ?keepalive\n\n/m);
        assert.match(text, /id: e1\n/);
        release!();
      }
      if (text.includes('"id":1')) break;
    }
    const text = seen.join('');
    assert.ok(text.indexOf('keepalive') < text.indexOf('"first"'), 'keepalive stays in order');
    assert.doesNotMatch(text, /not json/, 'an event regate cannot parse is not delivered');
    assert.match(text, /id: e2\ndata: {"jsonrpc":"2.0","id":1,"result":{}}/);
  });
});
