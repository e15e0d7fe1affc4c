import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createEventBuilders, uuidv7 } from '../../../src/audit/build-events.ts';
import { eventJson, transcriptEventSchema, type TranscriptEvent } from '../../../src/audit/event.ts';
import { REDACTED } from '../../../src/policy/redact-arguments.ts';
import { argumentMasker } from '../../../src/masking/arguments.ts';
import { createMaskPlanner } from '../../../src/masking/plan.ts';
import { keepFirstDecision } from '../../../src/policy/first-decision.ts';
import { CLIENT_BEARER, UPSTREAM_CREDENTIAL, callRecord } from '../../helpers/audit-events.ts';

const builders = createEventBuilders({ maxContentBytes: 4096, now: () => Date.parse('2026-11-30T10:00:00.000Z') });

function valid(e: TranscriptEvent): TranscriptEvent {
  return transcriptEventSchema.parse(e);
}

describe('transcript events built from the call record', () => {
  it('records a tools/call as a request event and a decision event, both valid and tied to the call', () => {
    const r = callRecord(7, { id: 7 });
    const [request, decision] = builders.requestEvents(r).map(valid);
    assert.ok(request && decision);
    assert.equal(request.kind, 'request');
    assert.equal(request.tool, 'get_customer');
    assert.deepEqual(request.arguments, { id: 7 });
    assert.deepEqual(request.params, { name: 'get_customer', arguments: { id: 7 } });
    assert.equal(request.message_id, 7);
    assert.equal(request.principal_id, 'oid-1');
    assert.deepEqual(request.principal_groups, ['g-sales']);
    assert.deepEqual(request.connection_tags, ['pii']);
    assert.equal(request.time, '2026-11-30T10:00:00.000Z');
    assert.equal(decision.kind, 'decision');
    assert.equal(decision.decision, 'allow');
    assert.equal(decision.rule, 'crm.allow_read');
    assert.equal(decision.bundle_revision, 'rev-1');
    assert.equal(decision.decision_id, 'dec-7');
    assert.equal(decision.latency_ms, 0.042);
    assert.deepEqual(r.eventIds, [request.event_id, decision.event_id]);
  });

  it('masks everything the agent sent into the request event: the arguments and the rest of the params (_meta, inputResponses)', () => {
    const masking = createEventBuilders({ maxContentBytes: 65_536, maskArguments: argumentMasker(() => createMaskPlanner({ hashKey: 'a test hash key, 32 bytes long!!' })) });
    const card = '4111 1111 1111 1111';
    const r = callRecord(4, { card });
    const message = {
      jsonrpc: '2.0', id: 4, method: 'tools/call',
      params: { name: 'get_customer', arguments: { card }, _meta: { note: `card ${card}` }, inputResponses: { ask: { action: 'accept', content: { email: 'jane.doe@example.com' } } } },
    } as const;
    const [request] = masking.requestEvents({ ...r, message }).map(valid);
    const json = eventJson(request!);
    assert.doesNotMatch(json, /4111 1111 1111 1111|jane\.doe@example\.com/);
    const params = request!.params as Record<string, unknown>;
    assert.deepEqual(Object.keys(params), ['name', 'arguments', '_meta', 'inputResponses'], 'the params keep their order');
    assert.equal(params['name'], 'get_customer');
    assert.deepEqual(params['arguments'], request!.arguments);
    assert.equal(json, JSON.stringify(request), 'the event JSON (with the arguments spliced in) is exactly the event');
    assert.deepEqual(message.params.arguments, { card }, 'the message itself is not touched');
  });

  it('records the decision that held an approved call (outcome approval, its rule, the approval id), not its re-check', () => {
    const r = callRecord(8, { id: 8 }, { outcome: 'approval', allow: false, rule: 'crm.approval.destructive', decision_id: 'dec-held' });
    keepFirstDecision(r, r.decision!);
    r.decision = { ...r.decision!, outcome: 'allow', allow: true, rule: 'regate.tools.approved', decision_id: 'dec-recheck' };
    r.approval = { id: 'ap-8', status: 'used', approvers: [{ id: 'boss', name: 'Boss', at: '2026-11-30T10:00:00.000Z' }], justification: 'ticket 8' };
    const [request, decision] = builders.requestEvents(r).map(valid);
    assert.equal(request?.decision_id, 'dec-held');
    assert.equal(decision?.decision, 'approval');
    assert.equal(decision?.rule, 'crm.approval.destructive');
    assert.equal(decision?.decision_id, 'dec-held');
    assert.equal(decision?.approval_id, 'ap-8');
  });

  it('records the decision\'s mask obligations on the decision event, so whatif can tell new masks', () => {
    const masked = callRecord(2, { id: 2 }, { mask: [{ path: '$.structuredContent.customer.email', style: 'hash' }, { detector: 'credit_card', style: 'redact' }] });
    const [, decision] = builders.requestEvents(masked).map(valid);
    assert.deepEqual(decision?.masks, ['$.structuredContent.customer.email:hash', 'credit_card:redact']);
    const [, plain] = builders.requestEvents(callRecord(3)).map(valid);
    assert.equal(plain?.masks, undefined);
  });

  it('redacts arguments (and the same arguments inside params) by the decision\'s redact_arguments paths', () => {
    const r = callRecord(1, { id: 1, ssn: '123-45-6789' }, { audit: { redact_arguments: ['$.ssn'] } });
    const [request] = builders.requestEvents(r);
    assert.deepEqual(request?.arguments, { id: 1, ssn: REDACTED });
    assert.deepEqual(request?.params, { name: 'get_customer', arguments: { id: 1, ssn: REDACTED } });
    assert.ok(!JSON.stringify(request).includes('123-45-6789'));
  });

  it('truncates content above max_content_bytes with a marker, its size and SHA-256, never dropping it', () => {
    const r = callRecord(2);
    const content = { jsonrpc: '2.0', id: 2, result: { text: 'x'.repeat(10_000) } };
    const json = JSON.stringify(content);
    const e = valid(builders.responseEvent(r, content, json.length));
    assert.equal(typeof e.content, 'string');
    const sha = createHash('sha256').update(json).digest('hex');
    assert.ok((e.content as string).startsWith(json.slice(0, 100)));
    assert.ok((e.content as string).endsWith(`…[truncated by regate: ${json.length} bytes, sha256 ${sha}]`));
    assert.ok(Buffer.byteLength(e.content as string) < 4096 + 200);
    assert.deepEqual(e.truncated, ['content']);
    assert.equal(e.content_sha256, sha);
    assert.equal(e.bytes, json.length);
  });

  it('records a 2026 requestState (the server\'s input_required, the client\'s retry) only as a digest', () => {
    const state = 'server-memory-'.repeat(10);
    const base = callRecord(4);
    const retry = { ...base, message: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_customer', arguments: {}, requestState: state } } } as typeof base;
    const [request] = builders.requestEvents(retry);
    const response = builders.responseEvent(base, { jsonrpc: '2.0', id: 4, result: { resultType: 'input_required', inputRequests: {}, requestState: state } }, 100);
    for (const e of [request, response]) {
      assert.ok(!JSON.stringify(e).includes(state), 'requestState recorded in full');
      assert.match(JSON.stringify(e), /sha256:[0-9a-f]{16} \(140 chars\)/);
    }
  });

  it('keeps content under the limit as it is, with the masking counts', () => {
    const r = { ...callRecord(3), masked: { ssn: 2 }, exposed: { email: 1 } };
    const e = valid(builders.responseEvent(r, { jsonrpc: '2.0', id: 3, result: {} }, 30));
    assert.deepEqual(e.content, { jsonrpc: '2.0', id: 3, result: {} });
    assert.deepEqual([e.masked, e.exposed, e.truncated], [{ ssn: 2 }, { email: 1 }, undefined]);
  });

  it('cuts a truncated value without splitting a multi-byte character', () => {
    const e = builders.responseEvent(callRecord(4), { text: 'é'.repeat(5000) }, 10_000);
    assert.ok(!(e.content as string).includes('\uFFFD'));
  });

  it('records regate\'s own error replies, with or without a parsed call', () => {
    const r = callRecord(5);
    const onCall = valid(builders.errorEvent(r, { code: 'REGATE_ERR_POLICY_DENIED', message: 'request refused' }, { content: { jsonrpc: '2.0', id: 5, error: { code: -32003, message: 'request refused' } }, bytes: 70 }));
    assert.deepEqual([onCall.kind, onCall.error_code, onCall.call_id], ['error', 'REGATE_ERR_POLICY_DENIED', 'call-5']);
    const onExchange = valid(builders.errorEvent(r.exchange, { code: 'REGATE_ERR_PARSE', message: 'request body is not valid JSON' }));
    assert.deepEqual([onExchange.kind, onExchange.call_id, onExchange.connection], ['error', undefined, 'crm']);
  });

  it('records approvals with approver and justification', () => {
    const r = callRecord(6);
    const e = valid(builders.approvalEvent(r, {
      id: 'ap-1', status: 'approved', justification: 'ticket 42',
      approvers: [{ id: 'u-2', name: 'grace@example.com', at: '2026-11-30T10:01:00Z', comment: 'ok' }],
    }));
    assert.deepEqual([e.approval_id, e.approver, e.justification, e.approval_status], ['ap-1', 'grace@example.com', 'ticket 42', 'approved']);
  });

  it('records session start and end', () => {
    const e = valid(builders.sessionEvent(callRecord(0).exchange, 'end'));
    assert.deepEqual([e.kind, e.session_phase, e.session_id], ['session', 'end', 'session-1']);
  });

  it('never copies a client bearer token or the upstream credential into any event', () => {
    const r = callRecord(8);
    const all = [
      ...builders.requestEvents(r),
      builders.responseEvent(r, { ok: true }, 10),
      builders.errorEvent(r, { code: 'REGATE_ERR_INTERNAL', message: 'internal error' }),
      builders.errorEvent(r.exchange, { code: 'REGATE_ERR_AUTH_MISSING', message: 'x' }),
      builders.approvalEvent(r),
      builders.sessionEvent(r.exchange, 'start'),
    ];
    const text = JSON.stringify(all);
    for (const secret of [CLIENT_BEARER, UPSTREAM_CREDENTIAL, 'client-token-canary', 'upstream-credential-canary']) {
      assert.ok(!text.includes(secret), `found ${secret}`);
    }
    assert.ok(!/authorization/i.test(text));
  });

  it('writes each event\'s line exactly as JSON.stringify would, though arguments and content are serialized only once', () => {
    const state = 'server-memory-'.repeat(10);
    const redacted = callRecord(9, { id: 9, ssn: '123-45-6789', pad: 'p'.repeat(300) }, { audit: { redact_arguments: ['$.ssn'] } });
    const retry = { ...callRecord(10), message: { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'get_customer', arguments: { q: 'é' }, requestState: state } } } as ReturnType<typeof callRecord>;
    const huge = callRecord(11, { text: 'x'.repeat(10_000) });
    const content = { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'customer "9"\n' }] } };
    const events = [
      ...builders.requestEvents(redacted),
      ...builders.requestEvents(retry),
      ...builders.requestEvents(huge),
      builders.responseEvent(redacted, content, 80, JSON.stringify(content)),
      builders.responseEvent(huge, { text: 'y'.repeat(10_000) }, 10_020),
    ];
    for (const e of events) {
      valid(e);
      assert.equal(eventJson(e), JSON.stringify(e), `${e.kind} ${e.call_id}`);
    }
    assert.deepEqual(JSON.parse(eventJson(events[0]!)).params, { name: 'get_customer', arguments: { id: 9, ssn: REDACTED, pad: 'p'.repeat(300) } });
  });

  it('gives every event a unique, time-ordered UUID v7', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    assert.equal(new Set(ids).size, 1000);
    assert.deepEqual([...ids].sort(), ids);
    assert.match(ids[0] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('transcript events stay bounded whatever the client or the policy put in them', () => {
  const builders = createEventBuilders({ maxContentBytes: 65536 });
  it('cuts a made-up 1 MB tool name, a long reason and huge labels', () => {
    const r = { ...callRecord(9, { id: 9 }, { reason: 'r'.repeat(100_000), audit: { labels: { echo: 'l'.repeat(100_000) } } }), tool: 't'.repeat(1_000_000) };
    const [request, decision] = builders.requestEvents(r);
    assert.ok(JSON.stringify(request).length < 70_000, 'the request event stays small');
    assert.ok(String(decision!.tool).length < 400);
    assert.ok(String(decision!.reason).length < 2200);
    assert.ok(JSON.stringify(decision!.labels).length < 9000);
    assert.ok(decision!.truncated?.includes('labels'));
  });
});
