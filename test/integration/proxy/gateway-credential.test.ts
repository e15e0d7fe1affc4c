import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { postMcp } from '../../helpers/mcp-http.ts';

const CREDENTIAL = 'GATEWAY-SECRET-TOKEN-123';

/**
 * An upstream that puts the gateway-held credential into what it answers (an echoed header in a
 * JSON-RPC error, a log notification on an SSE answer) never gets it to the agent or into a
 * transcript.
 */
describe("the gateway's credential in an upstream's answers", function () {
  this.timeout(30_000);
  let up: RawUpstream;
  let gw: TestGateway;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regate-cred-'));
    up = await startRawUpstream((req, res, body) => {
      const m = JSON.parse(body) as { id: unknown; params?: { arguments?: { mode?: string } } };
      const auth = String(req.headers.authorization);
      if (m.params?.arguments?.mode === 'sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'debug', data: `calling with ${auth}` } })}\n\n`);
        res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ok' }] } })}\n\n`);
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32603, message: `internal: request auth was ${auth}` } }));
    });
    gw = await startTestGateway({
      connections: [{ name: 'crm', url: up.url, headers: { Authorization: `Bearer ${CREDENTIAL}` } }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      audit: { file: { path: join(dir, 'transcripts.jsonl') }, buffer: { spill_path: join(dir, 'buffer.jsonl') } },
    });
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is removed from an error answer and from a notification, and from the transcript', async () => {
    const auth = { authorization: `Bearer ${await gw.token('alice', ['mcp-readers'])}` };
    const call = (id: number, mode: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_customer', arguments: { id: 'cus_001', mode } } });
    const a = await postMcp(`${gw.regate.url}/mcp/crm`, call(1, 'json'), { headers: auth });
    const b = await postMcp(`${gw.regate.url}/mcp/crm`, call(2, 'sse'), { headers: auth });
    const seen = JSON.stringify([a.items, b.items]);
    assert.ok(up.seen.some((s) => String(s.headers.authorization).includes(CREDENTIAL)), 'the upstream did get the credential');
    assert.equal(seen.includes(CREDENTIAL), false, seen);
    assert.match(seen, /REDACTED:gateway-credential/);
    await gw.stop();
    const transcript = await readFile(join(dir, 'transcripts.jsonl'), 'utf8');
    assert.equal(transcript.includes(CREDENTIAL), false);
  });
});
