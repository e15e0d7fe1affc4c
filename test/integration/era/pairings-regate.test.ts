import assert from 'node:assert/strict';
import { startEraGateway, type EraGateway } from '../../helpers/era-gateway.ts';
import { PAIRINGS, firstText, runPairing, type PairingSnapshot } from '../../helpers/era-pairings.ts';

/**
 * The era pairing table (test/helpers/era-pairings.ts) through regate, each row compared with the
 * same row run directly: every client/server pairing negotiates the same era through the gateway
 * as without it, and tools/list, tools/call (plus the x-mcp-header tool and the input_required
 * elicitation tool on the v2 server), resources/read and prompts/get give the same results. The
 * modern-only endpoint stays reachable by the v2 client only, as directly.
 */
describe('MCP eras through regate: each pairing speaks the era it speaks directly, with the same results', function () {
  this.timeout(90_000);
  let e: EraGateway;

  before(async () => {
    e = await startEraGateway();
  });
  after(async () => {
    await e?.stop();
  });

  for (const row of PAIRINGS) {
    it(`${row.name}: ${row.era === 'unreachable' ? 'cannot connect, as directly' : `the ${row.era} era, as directly`}`, async () => {
      const direct = await runPairing(row, e.direct);
      const through = await runPairing(row, e.viaRegate, await e.auth());
      if (row.era === 'unreachable') {
        assert.equal(direct.connected, false);
        assert.equal(through.connected, false, 'reached a modern-only endpoint through regate with a 2025 client');
        // regate relays the endpoint's own refusal (HTTP 400, -32022 naming the revision it serves).
        assert.match((through as Extract<PairingSnapshot, { connected: false }>).error, /2026-07-28|protocol version/i);
        return;
      }
      assert.ok(direct.connected && through.connected, `did not connect: ${through.connected ? '' : through.error}`);
      assert.equal(through.era, row.era);
      assert.equal(through.era, direct.era);
      assert.deepEqual(through, direct);
      if (row.elicitation === 'answered') assert.equal(firstText(through.confirm), 'Confirmed: deploy');
    });
  }

  it('computes the Mcp-* headers it sends upstream from the forwarded message (the x-mcp-header parameter included)', () => {
    const calls = e.v2.received.filter((r) => (r.body as { method?: string }).method === 'tools/call' && (r.body as { params: { name: string } }).params.name === 'regional-echo');
    // regate stamps X-Request-Id on what it forwards; 2026-era requests carry the _meta envelope.
    const modern = (r: (typeof calls)[number]) => JSON.stringify(r.body).includes('io.modelcontextprotocol/protocolVersion');
    const viaRegate = calls.filter((r) => r.headers['x-request-id'] !== undefined && modern(r));
    const legacy = calls.filter((r) => r.headers['x-request-id'] !== undefined && !modern(r));
    assert.ok(legacy.length >= 1, 'the header tool was called through regate in the 2025 era too');
    for (const r of legacy) assert.equal(r.headers['mcp-name'], undefined, 'no 2026 header goes on a 2025 exchange');
    assert.ok(viaRegate.length >= 2, 'the header tool was called through regate in the 2026 era');
    for (const r of viaRegate) {
      const args = (r.body as { params: { arguments: { region: string } } }).params.arguments;
      assert.equal(r.headers['mcp-method'], 'tools/call');
      assert.equal(r.headers['mcp-name'], 'regional-echo');
      assert.equal(r.headers['mcp-protocol-version'], '2026-07-28');
      const expected = /^[\x20-\x7e]+$/.test(args.region) ? args.region : `=?base64?${Buffer.from(args.region).toString('base64')}?=`;
      assert.equal(r.headers['mcp-param-region'], expected);
      assert.equal(r.headers.authorization, undefined, 'the agent\'s token never goes upstream');
    }
  });
});
