import assert from 'node:assert/strict';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { RegateError } from '../../../src/errors.ts';
import { classifyEra, isModernProtocolVersion, type EraFacts } from '../../../src/mcp/era.ts';
import { TEST_CLIENT_CAPABILITIES } from '../../helpers/peers.ts';
import { captureTypicalV2Session, exchangesFor, type CapturedExchange } from '../../helpers/v2-peers.ts';

/**
 * regate classifies a request's era body-first, the way the v2 SDK's server does (it cannot import
 * the SDK at run time). The messages come from a real v2 client; each case is also put to the
 * SDK's own classifyInboundRequest, and regate must agree with it.
 */
describe('MCP era classification (body-primary, as the v2 SDK)', () => {
  let traffic: CapturedExchange[];
  before(async () => {
    traffic = await captureTypicalV2Session();
  });

  type Body = Record<string, unknown>;
  const callOf = (): Body => structuredClone(exchangesFor(traffic, 'tools/call', (p) => p.name === 'echo')[0]!.body) as Body;
  const metaOf = (b: Body) => (b.params as { _meta: Record<string, unknown> })._meta;
  const initialize: Body = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'v1-client', version: '1.2.3' } },
  };

  it('classifies every request a real v2 client sent on 2026-07-28 as the 2026 era, with its client facts', () => {
    const posts = traffic.filter((e) => e.httpMethod === 'POST');
    assert.ok(posts.length >= 9, `captured ${posts.length} requests`);
    for (const e of posts) {
      const facts = classifyEra({ httpMethod: 'POST', body: e.body, protocolVersionHeader: e.headers['mcp-protocol-version'] });
      assert.deepEqual(facts, {
        era: '2026',
        reason: 'envelope',
        protocolVersion: '2026-07-28',
        client: { name: 'regate-v2-test-client', version: '1.0.0', capabilities: TEST_CLIENT_CAPABILITIES },
      });
    }
  });

  type Expect = { era: '2025' | '2026'; version?: string } | { code: string; rpc: number };
  const cases: ReadonlyArray<{ name: string; httpMethod?: string; body: () => unknown; header?: string; expect: Expect }> = [
    { name: 'a 2026 request with its header', body: callOf, header: '2026-07-28', expect: { era: '2026', version: '2026-07-28' } },
    { name: 'a 2026 request whose header a proxy stripped (the body decides)', body: callOf, expect: { era: '2026', version: '2026-07-28' } },
    {
      name: 'a 2026 request whose header names another version',
      body: callOf,
      header: '2025-11-25',
      expect: { code: 'REGATE_ERR_HEADER_MISMATCH', rpc: -32020 },
    },
    {
      name: 'an envelope naming a 2025 revision (the envelope is the era; the upstream refuses the revision with -32022)',
      body: () => {
        const b = callOf();
        metaOf(b)['io.modelcontextprotocol/protocolVersion'] = '2025-11-25';
        return b;
      },
      expect: { era: '2026', version: '2025-11-25' },
    },
    {
      name: 'an envelope without clientCapabilities',
      body: () => {
        const b = callOf();
        delete metaOf(b)['io.modelcontextprotocol/clientCapabilities'];
        return b;
      },
      expect: { code: 'REGATE_ERR_ENVELOPE_INVALID', rpc: -32602 },
    },
    {
      name: 'an envelope whose protocol version is not a string',
      body: () => {
        const b = callOf();
        metaOf(b)['io.modelcontextprotocol/protocolVersion'] = 20260728;
        return b;
      },
      expect: { code: 'REGATE_ERR_ENVELOPE_INVALID', rpc: -32602 },
    },
    {
      name: 'a request without an envelope under a modern header',
      body: () => ({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      header: '2026-07-28',
      expect: { code: 'REGATE_ERR_ENVELOPE_INVALID', rpc: -32602 },
    },
    { name: 'initialize (the 2025 handshake)', body: () => initialize, expect: { era: '2025', version: '2025-06-18' } },
    {
      name: 'initialize under a modern header',
      body: () => initialize,
      header: '2026-07-28',
      expect: { code: 'REGATE_ERR_HEADER_MISMATCH', rpc: -32020 },
    },
    { name: 'a 2025 request in a session', body: () => ({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), header: '2025-06-18', expect: { era: '2025', version: '2025-06-18' } },
    { name: 'a 2025 request before any header', body: () => ({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), expect: { era: '2025' } },
    { name: 'a notification under a modern header (notifications carry no envelope)', body: () => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }), header: '2026-07-28', expect: { era: '2026', version: '2026-07-28' } },
    { name: 'a 2025 notification', body: () => ({ jsonrpc: '2.0', method: 'notifications/initialized' }), expect: { era: '2025' } },
    { name: 'a posted response (answer to a 2025 server->client request)', body: () => ({ jsonrpc: '2.0', id: 0, result: { action: 'accept' } }), expect: { era: '2025' } },
    { name: 'a batch of 2025 messages', body: () => [{ jsonrpc: '2.0', id: 1, method: 'ping' }], expect: { era: '2025' } },
    { name: 'a batch holding a 2026 request', body: () => [callOf()], expect: { code: 'REGATE_ERR_INVALID_REQUEST', rpc: -32600 } },
    { name: 'a GET (2025 session stream)', httpMethod: 'GET', body: () => undefined, expect: { era: '2025' } },
  ];

  for (const c of cases) {
    it(`${c.name}: ${'era' in c.expect ? `${c.expect.era} era` : c.expect.code}, as the SDK classifies it`, () => {
      const httpMethod = c.httpMethod ?? 'POST';
      const body = c.body();
      const sdk = classifyInboundRequest({ httpMethod, body, ...(c.header !== undefined && { protocolVersionHeader: c.header }) });
      let ours: EraFacts | RegateError;
      try {
        ours = classifyEra({ httpMethod, body, protocolVersionHeader: c.header });
      } catch (err) {
        assert.ok(err instanceof RegateError, String(err));
        ours = err;
      }
      if ('era' in c.expect) {
        assert.ok(!(ours instanceof RegateError), `refused: ${ours instanceof RegateError ? ours.message : ''}`);
        assert.equal(ours.era, c.expect.era);
        assert.equal(ours.protocolVersion, c.expect.version);
        assert.equal(sdk.kind, c.expect.era === '2026' ? 'modern' : 'legacy');
      } else {
        assert.ok(ours instanceof RegateError, `not refused: ${JSON.stringify(ours)}`);
        assert.equal(ours.code, c.expect.code);
        assert.equal(ours.rpc, c.expect.rpc);
        assert.equal(ours.status, 400);
        assert.equal(sdk.kind, 'reject');
        assert.equal(sdk.kind === 'reject' && sdk.code, c.expect.rpc);
      }
    });
  }

  it('takes the 2025 client facts from initialize', () => {
    const facts = classifyEra({ httpMethod: 'POST', body: initialize, protocolVersionHeader: undefined });
    assert.deepEqual(facts.client, { name: 'v1-client', version: '1.2.3', capabilities: { elicitation: {} } });
  });

  const versions: ReadonlyArray<[string, boolean]> = [
    ['2024-11-05', false],
    ['2025-11-25', false],
    ['2026-07-28', true],
    ['2027-01-01', true],
  ];
  for (const [v, modern] of versions) it(`${v} is ${modern ? '' : 'not '}a 2026-era revision`, () => assert.equal(isModernProtocolVersion(v), modern));
});
