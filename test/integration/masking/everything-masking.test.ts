import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { messagesOf, postMcp } from '../../helpers/mcp-http.ts';
import { startEverything, type EverythingPeer } from '../../helpers/peers.ts';

const b64url = (bytes: number) => randomBytes(bytes).toString('base64url');
/** Canaries: an AWS-style access key id and a JWT, fresh for each run. */
const AWS_KEY = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const JWT = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ sub: b64url(6), iat: 1_700_000_000 })).toString('base64url')}.${b64url(32)}`;

type ToolResult = { content: Array<{ type: string; text?: string; data?: string; mimeType?: string }> };

/**
 * server-everything behind the gateway with the committed bundle: its `everything` connection's
 * decisions carry the `secret` detector, so what `echo` says back (as SSE) arrives masked, an image
 * is withheld (masking.binary: withhold), and the transcript holds neither canary.
 */
describe('masking through the gateway (committed bundle, server-everything over SSE answers)', function () {
  this.timeout(30_000);
  let everything: EverythingPeer;
  let gw: TestGateway;
  let dir: string;
  let echoAnswer: { status: number; contentType: string; result: ToolResult };
  let imageResult: ToolResult;
  let events: TranscriptEvent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regate-mask-everything-'));
    everything = await startEverything('streamableHttp');
    gw = await startTestGateway({
      connections: [{ name: 'everything', url: everything.url }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      audit: { file: { path: join(dir, 'transcripts.jsonl') }, buffer: { spill_path: join(dir, 'buffer.jsonl') } },
    });
    const url = `${gw.regate.url}/mcp/everything`;
    const auth = { Authorization: `Bearer ${await gw.token('alice', ['mcp-readers'])}` };
    const init = await postMcp(url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mask-test', version: '1' } },
    }, { headers: auth });
    assert.equal(init.status, 200);
    const session = init.headers.get('mcp-session-id');
    assert.ok(session, 'a session id');
    const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await postMcp(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { headers });
    const echo = await postMcp(url, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: `deploy with ${AWS_KEY} and bearer ${JWT}` } },
    }, { headers });
    const reply = messagesOf(echo.items).find((m) => m.id === 2)!;
    echoAnswer = { status: echo.status, contentType: echo.headers.get('content-type') ?? '', result: reply.result as ToolResult };
    const image = await postMcp(url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get-tiny-image', arguments: {} } }, { headers });
    imageResult = messagesOf(image.items).find((m) => m.id === 3)!.result as ToolResult;
    await gw.stop();
    events = (await readFile(join(dir, 'transcripts.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TranscriptEvent);
  });
  after(async () => {
    await everything?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('echo answers as an SSE stream, with the access key and the JWT masked', () => {
    assert.equal(echoAnswer.status, 200);
    assert.match(echoAnswer.contentType, /text\/event-stream/);
    const text = echoAnswer.result.content.map((c) => c.text ?? '').join('\n');
    assert.match(text, /^Echo: deploy with \[REDACTED:secret\] and bearer \[REDACTED:secret\]$/);
    assert.equal(text.includes(AWS_KEY), false);
    assert.equal(text.includes(JWT.split('.')[2]!), false);
  });

  it('withholds the image no detector can inspect, saying why', () => {
    assert.equal(imageResult.content.some((c) => c.type === 'image' || c.data !== undefined), false);
    assert.ok(imageResult.content.some((c) => c.type === 'text' && c.text!.startsWith('[WITHHELD:image] image (image/png) withheld')), JSON.stringify(imageResult.content));
  });

  it('records neither canary anywhere in the transcript (the agent\'s own arguments included), and counts the masks', () => {
    assert.equal(JSON.stringify(events.filter((e) => e.direction === 'client_to_server')).includes(AWS_KEY), false, "the request's arguments are masked too");
    const answers = events.filter((e) => e.direction !== 'client_to_server');
    assert.ok(answers.some((e) => e.kind === 'response' && e.tool === 'echo'), 'the echo response is recorded');
    const all = JSON.stringify(answers);
    for (const v of [AWS_KEY, JWT, JWT.split('.')[1]!, JWT.split('.')[2]!]) assert.equal(all.includes(v), false, `${v.slice(0, 8)}... is in the transcript`);
    assert.match(all, /Echo: deploy with \[REDACTED:secret\] and bearer \[REDACTED:secret\]/);
    assert.match(all, /\[WITHHELD:image\]/);
    const counts = (tool: string) => answers.find((e) => e.kind === 'response' && e.tool === tool)?.masked;
    assert.deepEqual(counts('echo'), { secret: 2 });
    assert.deepEqual(counts('get-tiny-image'), { binary: 1 });
  });
});
