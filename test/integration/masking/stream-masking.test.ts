import assert from 'node:assert/strict';
import pino from 'pino';
import { createPolicyStage } from '../../../src/enforcement/policy-stage.ts';
import type { RunningRegate } from '../../../src/http/server.ts';
import { maskingConfigSchema } from '../../../src/masking/config.ts';
import { plannerFollowing } from '../../../src/masking/planner-source.ts';
import { createMaskingStage } from '../../../src/masking/stage.ts';
import type { PolicyDecision } from '../../../src/policy/decision.ts';
import type { PolicyInput } from '../../../src/policy/input.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { messagesOf, postMcp } from '../../helpers/mcp-http.ts';
import { startTestRegate } from '../../helpers/regate.ts';

/** Luhn-valid test cards and an RFC 2606 email: what the detectors must catch. */
const CARD = '4111 1111 1111 1111';
const CARD2 = '5500-0000-0000-0004';
const EMAIL = 'jane.doe@example.com';

/** Allows everything; every decision obliges the credit_card and email detectors (redact). */
function decide(_input: PolicyInput): PolicyDecision {
  return {
    allow: true,
    reason: 'ok',
    rule: 'test.allow_masked',
    outcome: 'allow',
    revision: 'test',
    decision_id: 'd',
    duration_us: 1,
    mask: [
      { detector: 'credit_card', style: 'redact' },
      { detector: 'email', style: 'redact' },
    ],
  };
}

const textResult = (id: unknown, text: string) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });

/**
 * Masking happens message by message on what the upstream streams: each SSE event is masked as it
 * arrives (also when split across TCP chunks or data lines), order and ids are kept, and nothing
 * unmasked passes, also under concurrency and when a message is too large to mask.
 */
describe('masking on JSON and SSE answers, message by message', function () {
  this.timeout(60_000);
  let jsonUp: RawUpstream;
  let sseUp: RawUpstream;
  let regate: RunningRegate;

  before(async () => {
    jsonUp = await startRawUpstream((_req, res, body) => {
      const m = JSON.parse(body) as { id: unknown; params?: { name?: string } };
      const text = m.params?.name === 'big' ? `card ${CARD} `.repeat(20_000) : `card ${CARD}, mail ${EMAIL}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(textResult(m.id, text)));
    });
    // Three events: a progress notification, a log message, then the result; written in pieces
    // that split values across TCP chunks, and one event whose data spans several lines.
    sseUp = await startRawUpstream(async (_req, res, body) => {
      const m = JSON.parse(body) as { id: unknown };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const progress = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1, message: `charging ${CARD2}` } });
      const log = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `mail sent to ${EMAIL}` } });
      const result = JSON.stringify(textResult(m.id, `done with ${CARD}`), null, 1); // multi-line JSON -> several data: lines
      const frames = [`id: e1\ndata: ${progress}\n\n`, `id: e2\ndata: ${log}\n\n`, `id: e3\n${result.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`];
      const all = frames.join('');
      // Cut inside the card number and inside the email.
      const cuts = [all.indexOf('5500-00') + 4, all.indexOf('example.com') - 3, all.indexOf('1111 1111') + 2];
      let at = 0;
      for (const cut of cuts) {
        res.write(all.slice(at, cut));
        at = cut;
        await new Promise((r) => setTimeout(r, 15));
      }
      res.end(all.slice(at));
    });
    const policy = createPolicyStage({ evaluate: decide, modeFor: () => 'enforce', onDecision: () => {}, log: pino({ level: 'silent' }) });
    const masking = createMaskingStage({
      planner: plannerFollowing(maskingConfigSchema.parse({ max_message_bytes: 200_000 }), () => undefined),
      log: pino({ level: 'silent' }),
    });
    regate = await startTestRegate({ connections: [{ name: 'json', url: jsonUp.url }, { name: 'sse', url: sseUp.url }] }, { stages: [policy, masking] });
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([jsonUp?.close(), sseUp?.close()]);
  });

  const call = (id: unknown, name = 'lookup') => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
  const clear = (text: string) => [CARD, CARD2, EMAIL, '4111111111111111'].filter((v) => text.includes(v));

  it('masks a JSON answer', async () => {
    const { items } = await postMcp(`${regate.url}/mcp/json`, call(1));
    const text = JSON.stringify(messagesOf(items));
    assert.deepEqual(clear(text), []);
    assert.match(text, /\[REDACTED:credit_card\]/);
    assert.match(text, /\[REDACTED:email\]/);
  });

  it('masks every SSE event as it arrives, values split across chunks and data lines, keeping order', async () => {
    const { items } = await postMcp(`${regate.url}/mcp/sse`, call(2));
    const msgs = messagesOf(items);
    assert.deepEqual(msgs.map((m) => m.method ?? `result:${String(m.id)}`), ['notifications/progress', 'notifications/message', 'result:2']);
    assert.deepEqual(clear(JSON.stringify(msgs)), []);
    assert.equal((msgs[0]!.params as { message: string }).message, 'charging [REDACTED:credit_card]');
  });

  it('50 concurrent masked SSE streams deliver every event, in order, with nothing unmasked', async () => {
    const runs = await Promise.all(Array.from({ length: 50 }, (_, i) => postMcp(`${regate.url}/mcp/sse`, call(`c-${i}`))));
    for (const [i, r] of runs.entries()) {
      const msgs = messagesOf(r.items);
      assert.deepEqual(msgs.map((m) => m.method ?? `result:${String(m.id)}`), ['notifications/progress', 'notifications/message', `result:c-${i}`]);
      assert.deepEqual(clear(JSON.stringify(msgs)), []);
    }
  });

  it('withholds a message too large to mask: the agent gets an isError result naming the limit, never the values', async () => {
    const { items } = await postMcp(`${regate.url}/mcp/json`, call(3, 'big'));
    const [m] = messagesOf(items);
    const result = m!.result as { isError: boolean; content: Array<{ text: string }> };
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text, /max_message_bytes/);
    assert.deepEqual(clear(JSON.stringify(m)), []);
  });
});
