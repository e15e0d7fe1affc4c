import assert from 'node:assert/strict';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PROTOCOL, mcpHeaders, startDemoGateway, type DemoGateway } from '../../helpers/demo-gateway.ts';
import type { McpTestClient } from '../../helpers/peers.ts';
/** How long the attack runs (and the victim measures); every loop below is bounded by it and by a count. */
const ATTACK_MS = 10_000;
const ATTEMPTS = 1500;
const WORKERS = 6;

/**
 * #10 item 2, under load: one principal tries to exhaust streams and sessions (more GET streams
 * than the upstream socket pool has sockets, on the embedded default limits) while another
 * principal calls a tool. Every call of the second principal succeeds and its p99 stays under
 * 200 ms. Loopback only; the figures are taken on a shared machine.
 */
describe('load: one principal cannot stall a connection for another', function () {
  this.timeout(60_000);
  let d: DemoGateway;
  let url: string;
  let victim: McpTestClient<StreamableHTTPClientTransport>;
  const streams: AbortController[] = [];

  before(async () => {
    d = await startDemoGateway();
    url = d.url;
    victim = await d.connect('alice', ['mcp-readers']);
  });
  after(async () => {
    for (const c of streams) c.abort();
    await victim?.close();
    await d?.stop();
  });

  it('keeps the other principal\'s tools/call fast and successful while one principal floods streams and sessions', async () => {
    const token = await d.gw.token('mallory', ['mcp-readers']);
    const headers = (sid?: string) => mcpHeaders(token, sid);
    const deadline = performance.now() + ATTACK_MS;
    const outcomes = new Map<string, number>();
    const note = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    let attempts = 0;
    let held = 0;

    const attacker = async () => {
      while (attempts < ATTEMPTS && performance.now() < deadline) {
        attempts++;
        const init = await fetch(url, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'flood', version: '1' } } }),
        });
        await init.arrayBuffer();
        note(`initialize ${init.status}`);
        // It keeps trying, as fast as the answers come: a refusal costs it 10 ms (this is a test of
        // what a caller can hold, not of request rate).
        if (init.status === 429) await new Promise((r) => setTimeout(r, 10));
        const sid = init.headers.get('mcp-session-id');
        if (sid === null) continue;
        const c = new AbortController();
        const get = await fetch(url, { method: 'GET', headers: headers(sid), signal: c.signal });
        note(`GET ${get.status}`);
        if (get.status === 200) {
          streams.push(c); // held open until the test ends
          held++;
        } else {
          await get.arrayBuffer();
          if (get.status === 429) await new Promise((r) => setTimeout(r, 10));
        }
      }
    };

    const latencies: number[] = [];
    let failures = 0;
    const victimLoop = async () => {
      for (let i = 0; i < 5000 && performance.now() < deadline; i++) {
        const t = performance.now();
        try {
          const r = (await victim.client.callTool({ name: 'get_customer', arguments: { id: 'cus_002' } }, undefined, { timeout: 5_000 })) as { isError?: boolean };
          if (r.isError === true) failures++;
        } catch {
          failures++;
        }
        latencies.push(performance.now() - t);
      }
    };

    await Promise.all([...Array.from({ length: WORKERS }, attacker), victimLoop()]);

    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Infinity;
    const report = `attempts ${attempts}, streams held ${held}, ${JSON.stringify(Object.fromEntries(outcomes))}; victim calls ${latencies.length}, failures ${failures}, p99 ${p99.toFixed(1)} ms`;
    assert.ok(latencies.length >= 20, `the victim made enough calls to measure: ${report}`);
    assert.equal(failures, 0, `every call of the other principal succeeded: ${report}`);
    assert.ok(p99 < 200, `p99 under 200 ms: ${report}`);
    const metrics = await (await fetch(`${d.gw.regate.url}/metrics`)).text();
    const open = Number(/regate_connection_slots_in_use\{connection="crm",budget="streams"\} (\d+)/.exec(metrics)?.[1]);
    // limits.per_principal.max_streams (16) for the flood, plus the victim's own listen stream.
    assert.ok(open <= 17, `the flooding principal holds at most 16 streams (${open} open): ${report}`);
    assert.ok((outcomes.get('GET 429') ?? 0) + (outcomes.get('initialize 429') ?? 0) > 0, `the flood was refused with 429: ${report}`);
  });
});
