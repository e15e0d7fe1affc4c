import assert from 'node:assert/strict';
import { ComponentRegistry, type Component, type ComponentState } from '../../../src/components/component.ts';
import type { RunningRegate } from '../../../src/http/server.ts';
import { EVERYTHING, connectClient, startEverything, type EverythingPeer } from '../../helpers/peers.ts';
import { startTestRegate } from '../../helpers/regate.ts';
import { startRawUpstream } from '../../fixtures/raw-upstream.ts';

function fakeComponent(name: string, state: { value: ComponentState }): Component {
  return { name, start: async () => {}, stop: async () => {}, status: () => ({ state: state.value, message: `state ${state.value}` }) };
}

describe('operations: health, readiness, metrics and graceful shutdown', function () {
  this.timeout(60_000);
  let everything: EverythingPeer;
  before(async () => {
    everything = await startEverything('streamableHttp');
  });
  after(async () => everything?.stop());

  it('/healthz is up, /readyz follows component statuses', async () => {
    const state = { value: 'NOT_READY' as ComponentState };
    const components = new ComponentRegistry();
    components.add(fakeComponent('policy', state));
    const regate = await startTestRegate({ connections: [{ name: 'e', url: everything.url }] }, { components });
    try {
      assert.equal((await fetch(`${regate.url}/healthz`)).status, 200);
      const notReady = await fetch(`${regate.url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(((await notReady.json()) as { components: unknown }).components, { policy: { state: 'NOT_READY', message: 'state NOT_READY' }, limits: { state: 'OK' } });
      state.value = 'OK';
      assert.equal((await fetch(`${regate.url}/readyz`)).status, 200);
      state.value = 'DEGRADED';
      const degraded = await fetch(`${regate.url}/readyz`);
      assert.equal(degraded.status, 200, 'a degraded component keeps serving');
      assert.deepEqual(await degraded.json(), { status: 'degraded', components: { policy: { state: 'DEGRADED', message: 'state DEGRADED' }, limits: { state: 'OK' } } });
      assert.match(await (await fetch(`${regate.url}/metrics`)).text(), /regate_component_state\{component="policy",state="DEGRADED"\} 1/);
      state.value = 'ERROR';
      assert.equal((await fetch(`${regate.url}/readyz`)).status, 503);
    } finally {
      await regate.stop();
    }
  });

  it('/metrics reports requests, latency histograms, upstream errors and open streams', async () => {
    const regate = await startTestRegate({
      connections: [
        { name: 'e', url: everything.url },
        { name: 'dead', url: 'http://127.0.0.1:1/mcp' },
      ],
    });
    try {
      const c = await connectClient(`${regate.url}/mcp/e`, 'streamable-http');
      await c.client.listTools();
      await fetch(`${regate.url}/mcp/dead`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
      const text = await (await fetch(`${regate.url}/metrics`)).text();
      await c.close();
      assert.match(text, /regate_http_requests_total\{route="\/mcp",method="POST",status="200"\} \d+/);
      assert.match(text, /regate_http_request_duration_seconds_bucket\{le="0.005",route="\/mcp",method="POST"\}/);
      assert.match(text, /regate_upstream_response_seconds_count\{connection="e"\} [1-9]/);
      assert.match(text, /regate_mcp_messages_total\{connection="e",direction="client",method="tools\/list"\} 1/);
      assert.match(text, /regate_upstream_errors_total\{connection="dead",code="REGATE_ERR_UPSTREAM_UNREACHABLE"\} 1/);
      assert.match(text, /regate_open_streams\{connection="e"\} \d/);
    } finally {
      await regate.stop();
    }
  });

  it('shutdown lets a call in progress finish, closes listening streams and refuses new calls', async () => {
    // A listening stream that the upstream would keep open forever (in session "s", issued by a POST).
    const listener = await startRawUpstream((req, res) =>
      req.method === 'POST'
        ? void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's' }).end('{"jsonrpc":"2.0","id":1,"result":{}}')
        : void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n'),
    );
    const regate = await startTestRegate({
      connections: [
        { name: 'e', url: everything.url },
        { name: 'listen', url: listener.url },
      ],
      shutdown: { grace_seconds: 20 },
    });
    const c = await connectClient(`${regate.url}/mcp/e`, 'streamable-http');
    const call = c.client.callTool({ name: EVERYTHING.longRunningTool, arguments: { duration: 1.5, steps: 3 } }, undefined, {
      onprogress: () => {},
      timeout: 15_000,
    });
    const init = await fetch(`${regate.url}/mcp/listen`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' });
    assert.equal(init.headers.get('mcp-session-id'), 's');
    await init.arrayBuffer();
    const get = await fetch(`${regate.url}/mcp/listen`, { headers: { accept: 'text/event-stream', 'mcp-session-id': 's' } });
    assert.equal(get.status, 200);
    await new Promise((r) => setTimeout(r, 300));
    const stopped = regate.stop();
    // The listening stream ends promptly (the client reconnects elsewhere).
    const reader = get.body!.getReader();
    while (!(await reader.read()).done) {
      /* drain until closed */
    }
    const result = await call;
    await stopped;
    assert.ok(result.content, 'the in-flight call completed during the drain');
    await assert.rejects(fetch(`${regate.url}/healthz`), 'the listener is closed');
    await c.close().catch(() => {});
    await listener.close();
  });
});
