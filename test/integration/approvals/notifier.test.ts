import assert from 'node:assert/strict';
import pino from 'pino';
import { Notifier } from '../../../src/approvals/notify/notifier.ts';
import { verifyWebhook } from '../../../src/approvals/notify/signature.ts';
import type { ApprovalRecord } from '../../../src/approvals/record.ts';
import { startRawUpstream } from '../../fixtures/raw-upstream.ts';

const record = {
  id: 'y'.repeat(43), status: 'pending', mode: 'hold', requester: { id: 'a', name: 'A', type: 'user', tenant: 't' }, connection: 'crm', tool: 'delete_customer',
  digest: 'cd'.repeat(32), arguments: { id: 'cus_1' }, reason: 'r', rule: 'x', revision: '', decision_id: 'd', approvers: ['g'], min_approvals: 1, justification: 'j',
  created_at: Date.now(), expires_at: Date.now() + 60_000, grant_ttl_ms: 1000, max_uses: 1, uses: 0, votes: [], updated_at: Date.now(), v: 1,
} as ApprovalRecord;

/** Real HTTP receivers: a flaky webhook is retried with backoff until it accepts; every attempt is signed afresh. */
describe('approval notifier over HTTP', function () {
  this.timeout(20_000);

  it('retries a failing webhook with backoff, signs every attempt, and counts the outcome', async () => {
    let n = 0;
    const hook = await startRawUpstream((_req, res) => void res.writeHead(++n < 3 ? 503 : 204).end());
    const outcomes: string[] = [];
    const secret = 'webhook-secret-with-enough-length';
    const notifier = new Notifier({
      targets: [{ type: 'webhook', url: hook.url, secret }],
      log: pino({ level: 'silent' }),
      linkFor: (id) => `http://127.0.0.1/approvals/${id}`,
      backoff: { baseMs: 20, maxMs: 50 },
      onResult: (t, ok) => outcomes.push(`${t}:${ok}`),
    });
    notifier.requested(record);
    await notifier.settled();
    await hook.close();
    assert.equal(hook.seen.length, 3);
    for (const s of hook.seen) assert.ok(verifyWebhook(secret, s.body, String(s.headers['x-regate-signature']), Math.floor(Date.now() / 1000)));
    assert.deepEqual(outcomes, ['webhook:true']);
  });

  it('gives up on a client error at once, and on an unreachable target after its attempts, without throwing', async () => {
    const bad = await startRawUpstream((_req, res) => void res.writeHead(400).end());
    const outcomes: string[] = [];
    const notifier = new Notifier({
      targets: [{ type: 'teams', url: bad.url }, { type: 'slack', url: 'http://127.0.0.1:1/hook' }],
      log: pino({ level: 'silent' }),
      linkFor: (id) => `http://127.0.0.1/approvals/${id}`,
      attempts: 3,
      backoff: { baseMs: 10, maxMs: 20 },
      onResult: (t, ok) => outcomes.push(`${t}:${ok}`),
    });
    notifier.requested(record);
    await notifier.settled();
    await bad.close();
    assert.equal(bad.seen.length, 1, 'a 400 is not retried');
    assert.deepEqual(outcomes.sort(), ['slack:false', 'teams:false']);
  });
});
