import assert from 'node:assert/strict';
import { startEverything, type EverythingPeer } from '../../helpers/peers.ts';
import { startV2Server, V2, V2_RESOURCE_TEXT, type V2ServerPeer } from '../../helpers/v2-peers.ts';
import { PAIRINGS, PAIRING_ARGS, firstText, runPairing, type PairingSnapshot, type PairingTargets } from '../../helpers/era-pairings.ts';

/**
 * The baseline for regate's era tests: what each client/server pairing negotiates and answers
 * WITHOUT regate. The regate tests run the same table (test/helpers/era-pairings.ts) through the
 * gateway and compare with this.
 */
describe('MCP eras, direct (no regate): which era each client/server pairing speaks, and what it answers', function () {
  this.timeout(60_000);
  let everything: EverythingPeer;
  let v2: V2ServerPeer;
  let targets: PairingTargets;

  before(async () => {
    [everything, v2] = await Promise.all([startEverything('streamableHttp'), startV2Server()]);
    targets = { everything: everything.url, v2: v2.url, 'v2-modern': v2.modernUrl };
  });
  after(async () => {
    await Promise.all([everything?.stop(), v2?.stop()]);
  });

  for (const row of PAIRINGS) {
    it(`${row.name}: ${row.era === 'unreachable' ? 'cannot connect' : `speaks the ${row.era} era`}`, async () => {
      const snap = await runPairing(row, targets);
      if (row.era === 'unreachable') {
        assert.equal(snap.connected, false, 'connected to an endpoint it should not reach');
        // The modern-only endpoint answers initialize with -32022 naming the revision it serves.
        assert.match((snap as Extract<PairingSnapshot, { connected: false }>).error, /2026-07-28|protocol version/i);
        return;
      }
      assert.ok(snap.connected, `did not connect: ${snap.connected ? '' : snap.error}`);
      assert.equal(snap.era, row.era);
      if (row.server === 'everything') {
        assert.ok(snap.tools.includes('echo') && snap.tools.length > 5, `tools: ${snap.tools.join(', ')}`);
        assert.equal(firstText(snap.echo), `Echo: ${PAIRING_ARGS.echo.message}`);
        assert.ok((firstText(snap.resource) ?? '').length > 0);
        assert.match(firstText(snap.prompt) ?? '', /Paris/);
        return;
      }
      assert.deepEqual(snap.tools, [V2.elicitationTool, V2.echoTool, V2.headerTool].sort());
      assert.equal(firstText(snap.echo), `Echo: ${PAIRING_ARGS.echo.message}`);
      assert.equal(firstText(snap.resource), V2_RESOURCE_TEXT);
      assert.equal(firstText(snap.prompt), `What is the weather in ${PAIRING_ARGS.prompt.city}?`);
      assert.equal(firstText(snap.headerEcho), `Echo from ${PAIRING_ARGS.headerEcho.region}: ${PAIRING_ARGS.headerEcho.message}`);
      assert.equal(firstText(snap.headerEchoUnicode), `Echo from ${PAIRING_ARGS.headerEchoUnicode.region}: ${PAIRING_ARGS.headerEchoUnicode.message}`);
      if (row.elicitation === 'answered') {
        // 2026-07-28: the server answers input_required; the v2 client asks its handler and retries.
        assert.equal(firstText(snap.confirm), `Confirmed: ${PAIRING_ARGS.confirm.action}`);
        assert.equal(snap.elicitations, 1);
      } else {
        // The v2 server's 2025 fallback is stateless per request: it never saw initialize's
        // capabilities and has no stream to ask on, so the SDK's legacy shim refuses in-band.
        assert.equal((snap.confirm as { isError?: boolean }).isError, true);
        assert.match(firstText(snap.confirm) ?? '', /did not declare the required capability/);
        assert.equal(snap.elicitations, 0);
      }
    });
  }
});
