import assert from 'node:assert/strict';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { startEraGateway, type EraGateway } from '../../helpers/era-gateway.ts';
import { firstText } from '../../helpers/era-pairings.ts';
import { EVERYTHING, connectStreamableHttp } from '../../helpers/peers.ts';
import { V2, connectV2 } from '../../helpers/v2-peers.ts';

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw-agent', version: '1.0.0' },
};

/** A decision's reason without its per-decision id (each call gets a fresh one). */
const reasonOf = (text: string | undefined) => (text ?? '').replace(/, decision [^\]]+\]/, ']');

/** Policy in both eras, through regate, on real peers (the v1 and v2 SDK clients, server-everything, the v2 server). */
describe('MCP eras through regate: policy decides the same way in both', function () {
  this.timeout(90_000);
  let e: EraGateway;

  before(async () => {
    e = await startEraGateway();
  });
  after(async () => {
    await e?.stop();
  });

  /** A raw 2026-era POST to regate (a client that writes its own headers). */
  async function post2026(connection: 'v2' | 'v2strict', body: Record<string, unknown>, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(e.url(connection), {
      method: 'POST',
      headers: {
        ...(await e.auth()),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', ...body }),
    });
    const text = await res.text();
    // The v2 server may answer with an SSE stream; the one message is its data line.
    const data = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
    return { status: res.status, json: JSON.parse(data) as Record<string, unknown> };
  }

  describe('input_required (2026) and server->client requests (2025)', () => {
    /** The decision-log line refusing the connection's server the elicitation/create it asked for. */
    const elicitationRefusal = (connection: string) =>
      e.log.records().find((r) => r.connection === connection && r.direction === 'server_to_client' && r.method === 'elicitation/create' && r.outcome === 'deny');

    it('the v2 client completes an elicitation through regate', async () => {
      const c = await connectV2(e.url('v2'), { headers: await e.auth() });
      try {
        assert.equal(c.era(), '2026');
        const r = (await c.client.callTool({ name: V2.elicitationTool, arguments: { action: 'ship' } })) as ToolResult;
        assert.equal(firstText(r), 'Confirmed: ship');
        assert.equal(c.elicitations.length, 1);
      } finally {
        await c.close();
      }
    });

    it('a policy that refuses elicitation from the connection refuses the input request, and the decision log says so', async () => {
      const c = await connectV2(e.url('v2strict'), { headers: await e.auth() });
      try {
        assert.equal(c.era(), '2026');
        await assert.rejects(
          c.client.callTool({ name: V2.elicitationTool, arguments: { action: 'ship' } }),
          /the server asked for input that policy refused: elicitation\/create \("confirm"\).*connection 'v2strict' may not send 'elicitation\/create'/,
        );
        assert.equal(c.elicitations.length, 0, 'the client was never asked');
      } finally {
        await c.close();
      }
      const refusal = elicitationRefusal('v2strict');
      assert.ok(refusal, 'the refused input request is in the decision log');
      assert.equal(refusal.rule, 'regate.server.refused');
      assert.ok(!e.log.text().includes('confirm-action:ship'), 'requestState is never logged in full');
    });

    it('the same policy refuses the 2025 era\'s elicitation/create server->client request', async () => {
      const c = await connectStreamableHttp(e.url('everythingstrict'), { headers: await e.auth() });
      try {
        for (let i = 0; i < 50 && !(await c.client.listTools()).tools.some((t) => t.name === EVERYTHING.elicitationTool); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.client.callTool({ name: EVERYTHING.elicitationTool, arguments: {} }, undefined, { timeout: 10_000 }).catch(() => undefined);
        assert.equal(c.elicitations.length, 0, 'the client was never asked');
      } finally {
        await c.close();
      }
      assert.equal(elicitationRefusal('everythingstrict')?.rule, 'regate.server.refused');
    });
  });

  describe('forged Mcp-* headers', () => {
    const receivedIds = () => e.v2.received.map((r) => (r.body as { id?: unknown }).id);

    for (const [bodyName, headerName] of [
      ['delete_customer', 'echo'],
      ['echo', 'delete_customer'],
    ] as const) {
      it(`refuses Mcp-Name: ${headerName} on a tools/call of "${bodyName}" with 400 / -32020, and the upstream never receives it`, async () => {
        const id = `forged-${bodyName}`;
        const { status, json } = await post2026(
          'v2',
          { id, method: 'tools/call', params: { name: bodyName, arguments: { message: 'x' }, _meta: ENVELOPE } },
          { 'mcp-method': 'tools/call', 'mcp-name': headerName },
        );
        assert.equal(status, 400);
        assert.equal(json.id, id);
        const error = json.error as { code: number; message: string; data: { code: string } };
        assert.equal(error.code, -32020);
        assert.equal(error.data.code, 'REGATE_ERR_HEADER_MISMATCH');
        assert.match(error.message, /Mcp-Name/);
        assert.ok(!receivedIds().includes(id), 'the upstream received the forged request');
      });
    }

    it('refuses an Mcp-Method that disagrees with the body', async () => {
      const { status, json } = await post2026('v2', { id: 'forged-method', method: 'tools/list', params: { _meta: ENVELOPE } }, { 'mcp-method': 'tools/call' });
      assert.equal(status, 400);
      assert.equal((json.error as { code: number }).code, -32020);
      assert.ok(!receivedIds().includes('forged-method'));
    });

    it('refuses an Mcp-Param-* header that disagrees with the argument the tool mirrors into it', async () => {
      // regate learns regional-echo's x-mcp-header parameter from the upstream's tools/list.
      const c = await connectV2(e.url('v2'), { headers: await e.auth() });
      await c.client.listTools();
      await c.close();
      const { status, json } = await post2026(
        'v2',
        { id: 'forged-param', method: 'tools/call', params: { name: V2.headerTool, arguments: { region: 'eu-west-1', message: 'x' }, _meta: ENVELOPE } },
        { 'mcp-method': 'tools/call', 'mcp-name': V2.headerTool, 'mcp-param-region': 'us-east-1' },
      );
      assert.equal(status, 400);
      assert.match((json.error as { message: string }).message, /Mcp-Param-Region/);
      assert.ok(!receivedIds().includes('forged-param'));
    });

    it('relays an upstream\'s own 400 / -32020 with its status (regate sends no Mcp-Param-* for a tool it has not seen listed)', async () => {
      const fresh = await post2026(
        'v2strict',
        { id: 'unlisted', method: 'tools/call', params: { name: V2.headerTool, arguments: { region: 'eu-west-1', message: 'x' }, _meta: ENVELOPE } },
        { 'mcp-method': 'tools/call', 'mcp-name': V2.headerTool, 'mcp-param-region': 'eu-west-1' },
      );
      // The v2strict connection has its own table: nothing was listed through it yet.
      const sent = e.v2.received.find((r) => (r.body as { id?: unknown }).id === 'unlisted');
      assert.ok(sent, 'forwarded: regate cannot check a header it does not know the tool needs');
      assert.equal(sent.headers['mcp-param-region'], undefined, 'the client\'s header was not copied');
      assert.equal(fresh.status, 400);
      assert.equal((fresh.json.error as { code: number }).code, -32020);
    });
  });

  describe('recording', () => {
    /** The transcript once `ready` holds (the flusher writes in the background), bounded in time. */
    async function transcriptWhen(ready: (events: TranscriptEvent[]) => boolean): Promise<TranscriptEvent[]> {
      let events: TranscriptEvent[] = [];
      for (let i = 0; i < 100 && !ready((events = await e.transcripts())); i++) await new Promise((r) => setTimeout(r, 100));
      return events;
    }

    it('records 2026-era calls in their era, forged-header refusals included, and a requestState only as a digest', async () => {
      const c = await connectV2(e.url('v2'), { headers: await e.auth('recorded-agent') });
      try {
        await c.client.callTool({ name: V2.elicitationTool, arguments: { action: 'record-me' } });
      } finally {
        await c.close();
      }
      await post2026('v2', { id: 'forged-recorded', method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' }, _meta: ENVELOPE } }, { 'mcp-method': 'tools/call', 'mcp-name': 'delete_customer' });
      const events = await transcriptWhen((ev) => ev.some((x) => x.message_id === 'forged-recorded' && x.kind === 'error') && ev.filter((x) => x.principal_id === 'recorded-agent' && x.kind === 'response' && x.tool === V2.elicitationTool).length >= 2);
      const mine = events.filter((x) => x.principal_id === 'recorded-agent' && x.tool === V2.elicitationTool);
      assert.ok(mine.length >= 4, 'both rounds of the elicitation tool were recorded');
      assert.ok(mine.every((x) => x.protocol_era === '2026' && x.protocol_version === '2026-07-28'));
      assert.ok(!JSON.stringify(events).includes('confirm-action:record-me'), 'requestState recorded in full');
      assert.match(JSON.stringify(mine), /sha256:[0-9a-f]{16}/);
      // The refused request and regate's answer to it, both in the era its body speaks.
      const forged = events.filter((x) => x.message_id === 'forged-recorded');
      assert.deepEqual(forged.map((x) => x.kind).sort(), ['error', 'request']);
      assert.equal(forged.find((x) => x.kind === 'error')?.error_code, 'REGATE_ERR_HEADER_MISMATCH');
      assert.ok(forged.every((x) => x.protocol_era === '2026'));
    });
  });

  describe('x-mcp-header parameters regate has not learned yet', () => {
    it('the v2 client\'s call of the header tool completes: the upstream\'s -32020 makes it re-list through regate, which learns', async () => {
      const c = await connectV2(e.url('v2fresh'), { headers: await e.auth() });
      try {
        const r = (await c.client.callTool({ name: V2.headerTool, arguments: { region: 'ap-south-1', message: 'fresh' } })) as ToolResult;
        assert.equal(firstText(r), 'Echo from ap-south-1: fresh');
      } finally {
        await c.close();
      }
      // regate knew no parameters, so sent no Mcp-Param-Region; the upstream's 400 / -32020 reached
      // the client, which re-listed the tools through regate (teaching it) and retried once.
      const fresh = e.v2.received.filter((r) => (r.body as { params?: { arguments?: { message?: string } } }).params?.arguments?.message === 'fresh');
      assert.deepEqual(fresh.map((r) => r.headers['mcp-param-region']), [undefined, 'ap-south-1']);
      const methods = e.v2.received.filter((r) => r.headers['x-request-id'] !== undefined).map((r) => (r.body as { method: string }).method);
      assert.deepEqual(methods.slice(-3), ['tools/call', 'tools/list', 'tools/call']);
    });
  });

  describe('denials and listings', () => {
    it('a denied tool is denied in both eras with the same reason text', async () => {
      const v1 = await connectStreamableHttp(e.url('v2strict'), { headers: await e.auth() });
      const v2 = await connectV2(e.url('v2strict'), { headers: await e.auth() });
      try {
        assert.equal(v2.era(), '2026');
        const a = (await v1.client.callTool({ name: V2.echoTool, arguments: { message: 'hi' } })) as ToolResult;
        const b = (await v2.client.callTool({ name: V2.echoTool, arguments: { message: 'hi' } })) as ToolResult;
        assert.equal(a.isError, true);
        assert.equal(b.isError, true);
        assert.match(firstText(a) ?? '', /tool 'echo' is forbidden on connection 'v2strict'.*\[rule regate\.tools\.denied/);
        assert.equal(reasonOf(firstText(b)), reasonOf(firstText(a)));
      } finally {
        await Promise.all([v1.close(), v2.close()]);
      }
    });

    it('a filtered listing is filtered in both eras, and marked private in the 2026 era', async () => {
      const v1 = await connectStreamableHttp(e.url('v2strict'), { headers: await e.auth() });
      const v2 = await connectV2(e.url('v2strict'), { headers: await e.auth() });
      try {
        const a = (await v1.client.listTools()).tools.map((t) => t.name).sort();
        const b = (await v2.client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(a, [V2.elicitationTool, V2.headerTool].sort());
        assert.deepEqual(b, a);
      } finally {
        await Promise.all([v1.close(), v2.close()]);
      }
      const raw = await post2026('v2strict', { id: 'list', method: 'tools/list', params: { _meta: ENVELOPE } }, { 'mcp-method': 'tools/list' });
      const result = raw.json.result as { tools: Array<{ name: string }>; cacheScope?: string; ttlMs?: number };
      assert.ok(!result.tools.some((t) => t.name === V2.echoTool));
      assert.equal(result.cacheScope, 'private');
      assert.equal(typeof result.ttlMs, 'number');
    });

    it('subscriptions/listen is decided like any method, and its stream is relayed to the client', async () => {
      const c = await connectV2(e.url('v2strict'), { headers: await e.auth() });
      try {
        const sub = await c.client.listen({ toolsListChanged: true }, { timeout: 10_000 });
        assert.equal(sub.honoredFilter.toolsListChanged, true, 'the server\'s acknowledgement came through regate');
        await sub.close();
        assert.equal(await sub.closed, 'local');
      } finally {
        await c.close();
      }
      const decision = e.log.records().find((r) => r.connection === 'v2strict' && r.method === 'subscriptions/listen');
      assert.equal(decision?.rule, 'regate.protocol.plumbing');
    });

    it('a refused server/discover is a JSON-RPC error (HTTP 200) on which the v2 client falls back to initialize', async () => {
      const res = await fetch(e.url('v2unknown'), {
        method: 'POST',
        headers: { ...(await e.auth()), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 'probe', method: 'server/discover', params: { _meta: ENVELOPE } }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { error: { code: number; data: { rule: string } } };
      assert.equal(body.error.code, -32003);
      assert.equal(body.error.data.rule, 'regate.connection.unknown');
      // The client took the refusal as "not this era" and tried the 2025 handshake, refused in turn.
      await assert.rejects(connectV2(e.url('v2unknown'), { headers: await e.auth() }), /regate policy denied this initialize request/);
    });

    it('server/discover is decided like any method and its result is marked private', async () => {
      const raw = await post2026('v2strict', { id: 'discover', method: 'server/discover', params: { _meta: ENVELOPE } }, { 'mcp-method': 'server/discover' });
      assert.equal(raw.status, 200);
      const result = raw.json.result as { supportedVersions: string[]; cacheScope?: string };
      assert.ok(result.supportedVersions.includes('2026-07-28'));
      assert.equal(result.cacheScope, 'private');
      const decision = e.log.records().find((r) => r.connection === 'v2strict' && r.method === 'server/discover');
      assert.equal(decision?.rule, 'regate.protocol.plumbing');
    });
  });
});
