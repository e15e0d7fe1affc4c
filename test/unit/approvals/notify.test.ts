import assert from 'node:assert/strict';
import { notificationFacts, slackMessage, teamsMessage, ADAPTIVE_CARD_VERSION } from '../../../src/approvals/notify/messages.ts';
import { notificationRequest } from '../../../src/approvals/notify/notifier.ts';
import { signWebhook, verifyWebhook } from '../../../src/approvals/notify/signature.ts';
import type { ApprovalRecord } from '../../../src/approvals/record.ts';
import { adaptiveCardProblems } from '../../helpers/adaptive-card.ts';

const SECRET_VALUE = 'cus_007-VERY-SECRET-4111111111111111';
const record: ApprovalRecord = {
  v: 1,
  id: 'x'.repeat(43),
  status: 'pending',
  mode: 'hold',
  requester: { id: 'agent', name: 'Agent <Smith>', type: 'user', tenant: 't' },
  connection: 'crm',
  tool: 'delete_customer',
  digest: 'ab'.repeat(32),
  arguments: { id: SECRET_VALUE, reason: '[redacted]' },
  reason: 'destructive',
  rule: 'regate.tools.destructive',
  revision: 'r',
  decision_id: 'd',
  approvers: ['mcp-approvers'],
  min_approvals: 1,
  justification: 'ticket 4711',
  created_at: 1_800_000_000_000,
  expires_at: 1_800_000_300_000,
  grant_ttl_ms: 900_000,
  max_uses: 1,
  uses: 0,
  votes: [],
  updated_at: 1_800_000_000_000,
};
const URL_ = `https://regate.example.com/approvals/${record.id}`;

describe('approval notifications', () => {
  for (const type of ['webhook', 'teams', 'slack'] as const) {
    it(`${type}: never carries argument values, only their names, and links to the page`, () => {
      const target = type === 'webhook' ? { type, url: 'https://h.example/x', secret: 's'.repeat(32) } : { type, url: 'https://h.example/x' };
      const { body } = notificationRequest(target, record, URL_, 1_800_000_000);
      assert.doesNotMatch(body, /VERY-SECRET|4111/);
      assert.ok(body.includes(URL_));
      assert.match(body, /ticket 4711/);
    });
  }

  it('the webhook body lists argument names and the digest', () => {
    const f = notificationFacts(record, URL_);
    assert.deepEqual(f.argument_names, ['id', 'reason']);
    assert.equal(f.arguments_sha256, record.digest);
  });

  it('webhook signatures verify, and refuse tampering, another secret and stale timestamps', () => {
    const secret = 'a-webhook-secret-of-32-characters';
    const target = { type: 'webhook' as const, url: 'https://h.example/x', secret };
    const { body, headers } = notificationRequest(target, record, URL_, 1_800_000_000);
    const sig = headers['x-regate-signature']!;
    assert.match(sig, /^t=1800000000,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(secret, body, sig, 1_800_000_010), true);
    assert.equal(verifyWebhook(secret, `${body} `, sig, 1_800_000_010), false);
    assert.equal(verifyWebhook('another-secret-of-32-characters!!', body, sig, 1_800_000_010), false);
    assert.equal(verifyWebhook(secret, body, sig, 1_800_000_000 + 301), false);
    assert.equal(verifyWebhook(secret, body, signWebhook(secret, body, 1_800_000_000).replace(/.$/, (c) => (c === '0' ? '1' : '0')), 1_800_000_000), false);
  });

  it('the Teams message holds one Adaptive Card of the declared version, with facts and an Action.OpenUrl', () => {
    const m = teamsMessage(notificationFacts(record, URL_)) as { type: string; attachments: Array<{ contentType: string; content: Record<string, unknown> }> };
    assert.equal(m.type, 'message');
    assert.equal(m.attachments.length, 1);
    const card = m.attachments[0]!.content as { type: string; version: string; body: Array<Record<string, unknown>>; actions: Array<Record<string, unknown>> };
    assert.equal(m.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.deepEqual([card.type, card.version], ['AdaptiveCard', ADAPTIVE_CARD_VERSION]);
    // Microsoft's Adaptive Cards object model, at the version the card declares, finds nothing to object to.
    assert.deepEqual(adaptiveCardProblems(card), []);
    assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Review and decide', url: URL_ }]);
  });

  it('the card validator objects to what the declared version does not allow', () => {
    // So the check above can fail: each of these breaks the declared version's schema.
    const card = (teamsMessage(notificationFacts(record, URL_)) as { attachments: Array<{ content: Record<string, unknown> }> }).attachments[0]!.content;
    const body = card.body as Array<Record<string, unknown>>;
    assert.notDeepEqual(adaptiveCardProblems({ ...card, version: '1.0', actions: [{ type: 'Action.Execute', title: 'Go' }] }), []);
    assert.notDeepEqual(adaptiveCardProblems({ ...card, actions: [{ type: 'Action.OpenUrl', title: 'no url' }] }), []);
    assert.notDeepEqual(adaptiveCardProblems({ ...card, body: [{ ...body[0], weight: 'Heavy' }] }), []);
    assert.notDeepEqual(adaptiveCardProblems({ ...card, body: [{ ...body[0], colour: 'red' }] }), []);
    assert.notDeepEqual(adaptiveCardProblems({ ...card, version: '9.1' }), []);
  });

  it('Slack blocks escape mrkdwn and link a button to the page', () => {
    const m = slackMessage(notificationFacts(record, URL_)) as { blocks: Array<{ type: string; elements?: Array<{ url: string }>; fields?: Array<{ text: string }> }> };
    assert.equal(m.blocks.at(-1)!.elements![0]!.url, URL_);
    assert.ok(m.blocks[1]!.fields!.some((f) => f.text.includes('Agent &lt;Smith&gt;')));
  });
});
