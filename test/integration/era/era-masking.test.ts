import assert from 'node:assert/strict';
import { startEraGateway, type EraGateway } from '../../helpers/era-gateway.ts';
import { firstText } from '../../helpers/era-pairings.ts';
import { connectStreamableHttp } from '../../helpers/peers.ts';
import { V2, connectV2 } from '../../helpers/v2-peers.ts';

type ToolResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };

const CARD = '4111 1111 1111 1111';
const EMAIL = 'ada@example.org';

/**
 * Masking is the same in both eras: the v2 server's echo through a connection whose policy masks
 * cards and emails, reached by the v2 client (2026-07-28) and by the v1 client (2025 fallback).
 */
describe('masking in both protocol eras (v1 and v2 SDK clients, the v2 server, through regate)', function () {
  this.timeout(60_000);
  let e: EraGateway;
  before(async () => {
    e = await startEraGateway();
  });
  after(async () => {
    await e?.stop();
  });

  const message = `card ${CARD}, mail ${EMAIL}`;
  const check = (text: string | undefined) => {
    assert.ok(text !== undefined);
    assert.equal(text.includes(CARD), false, text);
    assert.equal(text.includes(EMAIL), false, text);
    assert.match(text, /1111/);
    assert.match(text, /\[REDACTED:email\]/);
  };

  it('the 2026 era: the v2 client gets the echo masked', async () => {
    const c = await connectV2(e.url('v2masked'), { headers: await e.auth() });
    try {
      assert.equal(c.era(), '2026');
      check(firstText((await c.client.callTool({ name: V2.echoTool, arguments: { message } })) as ToolResult));
    } finally {
      await c.close();
    }
  });

  it('the 2025 era: the v1 client gets the same echo masked the same way', async () => {
    const c = await connectStreamableHttp(e.url('v2masked'), { headers: await e.auth() });
    try {
      check(firstText((await c.client.callTool({ name: V2.echoTool, arguments: { message } })) as ToolResult));
    } finally {
      await c.close();
    }
  });

  // What the agent itself sent (the arguments) is masked by the call's detectors in the transcript
  // too, after the decision's redact_arguments.
  it('the transcript holds neither value, in either era, neither in the answers nor in the arguments', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // the flusher's interval: events reach the file sink
    const mine = (await e.transcripts()).filter((x) => x.connection === 'v2masked');
    const leaks = mine.filter((x) => JSON.stringify(x).includes(EMAIL)).map((x) => `${x.kind} ${x.method ?? ''}: ${JSON.stringify(x).slice(0, 300)}`);
    assert.ok(JSON.stringify(mine).includes('REDACTED:email'), 'the masked answers were recorded');
    assert.deepEqual(leaks, []);
  });
});
