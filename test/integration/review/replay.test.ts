import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SessionTimeline } from '../../../src/audit/review/replay.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { recordSessions, regate, type Recorded } from './recorded.ts';

/**
 * `regate replay` and `GET /sessions/{id}` on sessions a real gateway recorded: the timeline in
 * order with decisions, approvals and masked responses; the route serves it to auditors only.
 */
describe('regate replay and GET /sessions/{id}', function () {
  this.timeout(60_000);
  let rec: Recorded;
  let aliceSession: string;
  let gw: TestGateway;

  const cli = regate;

  before(async () => {
    rec = await recordSessions();
    aliceSession = rec.gatewayEvents.find((e) => e.principal_id === 'alice' && e.session_id !== undefined)!.session_id!;
    // A gateway reading the same transcripts (its file sink is the recorded one).
    gw = await startTestGateway({
      connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      audit: { file: { path: rec.transcript }, buffer: { spill_path: join(rec.dir, 'buffer-2.jsonl') }, log_analytics: undefined },
    });
  });
  after(async () => {
    await gw?.stop();
    await rec?.dispose();
  });

  it('prints the session as JSON: every event of the session in time order, with decisions, approvals and masked responses', async () => {
    const { code, out, err } = await cli('replay', aliceSession, '--config', rec.configPath, '--format', 'json');
    assert.equal(code, 0, err);
    const t = JSON.parse(out) as SessionTimeline;
    assert.equal(t.session_id, aliceSession);
    assert.equal(t.principal_id, 'alice');
    const mine = new Set(rec.events.filter((e) => e.session_id === aliceSession).map((e) => e.event_id));
    assert.equal(t.entries.length, mine.size, 'each event once (the redelivered copy is skipped)');
    assert.ok(t.entries.every((e, i) => i === 0 || e.offset_ms >= t.entries[i - 1]!.offset_ms));
    const getCustomer = t.entries.filter((e) => e.tool === 'get_customer');
    assert.deepEqual(getCustomer.map((e) => e.kind), ['request', 'decision', 'response', 'request', 'decision', 'response']);
    assert.deepEqual(getCustomer[0]!.arguments, { id: 'cus_001' });
    assert.equal(getCustomer[1]!.rule, 'regate.tools.read_only');
    assert.ok(getCustomer[2]!.latency_ms !== undefined);
    const denied = t.entries.find((e) => e.tool === 'export_customers_csv' && e.kind === 'decision')!;
    assert.deepEqual([denied.decision, denied.rule], ['deny', 'regate.tools.denied']);
    const approved = t.entries.find((e) => e.kind === 'approval' && e.approval_status === 'approved')!;
    assert.equal(approved.approver, 'carol');
    assert.ok(t.entries.some((e) => e.kind === 'response' && e.masked?.['email'] === 2));
  });

  it('prints the session as text, one line per event with its offset', async () => {
    const { code, out, err } = await cli('replay', aliceSession, '--config', rec.configPath);
    assert.equal(code, 0, err);
    assert.match(out, /^session .+ on crm by alice \(alice\)\n/);
    assert.match(out, /\+\d+\.\d{3}s {2}decision tools\/call export_customers_csv {2}deny by regate\.tools\.denied/);
    assert.match(out, /approval +apr-1 approved by carol \("CHG-1001/);
    assert.match(out, /response +masked email=2,credit_card=2 exposed phone=1/);
  });

  it('says so, with a non-zero exit, for a session it has no events of', async () => {
    const { code, err } = await cli('replay', 'no-such-session', '--config', rec.configPath);
    assert.notEqual(code, 0);
    assert.match(err, /^regate: REGATE_ERR_NOT_FOUND: .*no events of session no-such-session/);
  });

  describe('GET /sessions/{id}', () => {
    const get = async (id: string, token?: string) => {
      const res = await fetch(`${gw.regate.url}/sessions/${encodeURIComponent(id)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('serves the timeline to a member of the auditors group', async () => {
      const { status, body } = await get(aliceSession, await gw.token('audrey', ['mcp-auditors']));
      assert.equal(status, 200);
      const t = body as unknown as SessionTimeline;
      assert.equal(t.session_id, aliceSession);
      assert.equal(t.principal_id, 'alice');
      const { out } = await cli('replay', aliceSession, '--config', rec.configPath, '--format', 'json');
      assert.deepEqual(t.entries.map((e) => e.event_id), (JSON.parse(out) as SessionTimeline).entries.map((e) => e.event_id));
    });

    it('refuses agents, even the session\'s own principal, by the policy\'s rule', async () => {
      for (const [sub, groups] of [['alice', ['mcp-readers']], ['approver', ['mcp-approvers']]] as const) {
        const { status, body } = await get(aliceSession, await gw.token(sub, [...groups]));
        assert.equal(status, 403);
        assert.deepEqual((body['error'] as Record<string, unknown>)['rule'], 'regate.sessions.auditor_required');
      }
    });

    it('asks for a token without one, and answers 404 for a session with no events', async () => {
      assert.equal((await get(aliceSession)).status, 401);
      assert.equal((await get('no-such-session', await gw.token('audrey', ['mcp-auditors']))).status, 404);
    });
  });
});
