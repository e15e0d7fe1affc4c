import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';
import { PROTOCOL, mcpHeaders } from '../../helpers/demo-gateway.ts';
import { COMMITTED_BUNDLE, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
const SLOW_MS = 600;

/**
 * A stateful upstream by hand: a request without a session starts one, GET opens a listen stream
 * that stays open until the client goes, a call for the customer "slow" answers after SLOW_MS.
 */
function statefulUpstream() {
  let next = 0;
  return (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      return;
    }
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    const m = JSON.parse(body) as { id?: number; method: string; params?: { arguments?: { id?: string } } };
    const session = req.headers['mcp-session-id'] === undefined ? { 'mcp-session-id': `up-${++next}` } : {};
    if (m.id === undefined) return void res.writeHead(202, session).end();
    const result = m.method === 'initialize' ? { protocolVersion: PROTOCOL, capabilities: {}, serverInfo: { name: 'raw', version: '1' } } : { content: [{ type: 'text', text: 'ok' }] };
    const answer = () => res.writeHead(200, { 'content-type': 'application/json', ...session }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
    if (m.params?.arguments?.id === 'slow') setTimeout(answer, SLOW_MS);
    else answer();
  };
}

/** #10 item 2: what one caller can hold is bounded, each bound answers 429 naming itself. */
describe('limits per principal and per connection', function () {
  this.timeout(30_000);
  let upstream: RawUpstream;
  let gw: TestGateway;
  let url: string;
  const open: AbortController[] = [];

  before(async () => {
    upstream = await startRawUpstream(statefulUpstream());
    gw = await startTestGateway({
      // The committed policy describes the connection crm (the demo CRM's tools).
      connections: [{ name: 'crm', url: upstream.url }],
      policy: { bundle: { path: COMMITTED_BUNDLE } },
      limits: {
        per_principal: { max_concurrent_requests: 2, max_streams: 1, max_sessions: 2 },
        per_connection: { max_upstream_requests: 50, max_streams: 2 },
      },
    });
    url = `${gw.regate.url}/mcp/crm`;
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.abort();
  });
  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  const headersFor = async (sub: string, session?: string) => mcpHeaders(await gw.token(sub, ['mcp-readers']), session);
  const post = async (sub: string, message: unknown, session?: string) =>
    fetch(url, { method: 'POST', headers: await headersFor(sub, session), body: JSON.stringify(message) });
  const initialize = (sub: string) =>
    post(sub, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  const session = async (sub: string): Promise<string> => {
    const r = await initialize(sub);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    return r.headers.get('mcp-session-id')!;
  };
  const listen = async (sub: string, sid: string): Promise<Response> => {
    const c = new AbortController();
    open.push(c);
    return fetch(url, { method: 'GET', headers: await headersFor(sub, sid), signal: c.signal });
  };
  const call = (sub: string, sid: string, id: number, customer = 'cus_001') => post(sub, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_customer', arguments: { id: customer } } }, sid);

  async function assertLimit(res: Response, code: string, key: string): Promise<void> {
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    const body = (await res.json()) as { error: { code: number; message: string; data: { code: string } } };
    assert.equal(body.error.data.code, code);
    assert.equal(body.error.code, -32007);
    assert.ok(body.error.message.includes(key), `the error names the limit: ${body.error.message}`);
  }

  it('refuses a session beyond limits.per_principal.max_sessions, and ends it upstream', async () => {
    await session('sam');
    const second = await session('sam');
    const deletesBefore = upstream.seen.filter((s) => s.method === 'DELETE').length;
    const third = await initialize('sam');
    await assertLimit(third, 'REGATE_ERR_LIMIT_PRINCIPAL_SESSIONS', 'limits.per_principal.max_sessions');
    for (let i = 0; i < 50 && upstream.seen.filter((s) => s.method === 'DELETE').length === deletesBefore; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(upstream.seen.filter((s) => s.method === 'DELETE').length, deletesBefore + 1, 'the refused session was ended upstream');
    // Another principal is not affected, and ending a session makes room.
    await session('tom');
    const del = await fetch(url, { method: 'DELETE', headers: await headersFor('sam', second) });
    assert.equal(del.status, 200);
    await session('sam');
  });

  it('refuses a GET stream beyond limits.per_principal.max_streams', async () => {
    const [a, b] = [await session('stella'), await session('stella')];
    assert.equal((await listen('stella', a)).status, 200);
    await assertLimit(await listen('stella', b), 'REGATE_ERR_LIMIT_PRINCIPAL_STREAMS', 'limits.per_principal.max_streams');
  });

  it('refuses concurrent requests beyond limits.per_principal.max_concurrent_requests', async () => {
    const sid = await session('rita');
    const slow = [call('rita', sid, 1, 'slow'), call('rita', sid, 2, 'slow')];
    await new Promise((r) => setTimeout(r, SLOW_MS / 3));
    await assertLimit(await call('rita', sid, 3), 'REGATE_ERR_LIMIT_PRINCIPAL_REQUESTS', 'limits.per_principal.max_concurrent_requests');
    for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
    assert.equal((await call('rita', sid, 4)).status, 200, 'the slots came back');
  });

  it('keeps streams in their own connection budget: calls go on, readiness and metrics show the saturation', async () => {
    const ops = gw.regate.opsUrl ?? gw.regate.url;
    const carol = await session('carol');
    const dave = await session('dave');
    const erin = await session('erin');
    assert.equal((await listen('carol', carol)).status, 200);
    assert.equal((await listen('dave', dave)).status, 200);
    await assertLimit(await listen('erin', erin), 'REGATE_ERR_LIMIT_CONNECTION_STREAMS', 'limits.per_connection.max_streams');
    const answer = await call('erin', erin, 1);
    assert.equal(answer.status, 200, 'calls have their own budget');
    await answer.arrayBuffer();

    const ready = (await (await fetch(`${ops}/readyz`)).json()) as { components: Record<string, { state: string; message?: string }> };
    assert.equal(ready.components.limits?.state, 'DEGRADED');
    assert.match(ready.components.limits?.message ?? '', /crm \(streams\)/);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    assert.match(metrics, /regate_connection_slots_in_use\{connection="crm",budget="streams"\} 2/);
    assert.match(metrics, /regate_limit_refusals_total\{limit="REGATE_ERR_LIMIT_CONNECTION_STREAMS"\} [1-9]/);

    for (const c of open.splice(0)) c.abort();
    let state = 'DEGRADED';
    for (let i = 0; i < 50 && state !== 'OK'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = ((await (await fetch(`${ops}/readyz`)).json()) as { components: Record<string, { state: string }> }).components.limits?.state ?? '';
    }
    assert.equal(state, 'OK', 'the budget came back when the streams closed');
  });
});
