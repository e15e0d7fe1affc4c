import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../../../src/compose.ts';
import { buildConfig } from '../../../src/config/load.ts';
import { captureLog, type CapturedLog } from '../../helpers/captured-log.ts';
import { REPO } from '../../helpers/gateway.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

/** What a client sends is echoed into denials and the decision log capped, with a marker, never whole. */
describe('a 1 MB method or tool name is echoed capped', function () {
  this.timeout(30_000);
  let upstream: RawUpstream;
  let gw: Gateway;
  let captured: CapturedLog;
  let token: string;

  before(async () => {
    upstream = await startRawUpstream((_req, res) => void res.writeHead(500).end());
    captured = captureLog();
    const config = buildConfig(
      {
        listen: { host: '127.0.0.1', port: 0 },
        auth: { provider: 'dev', dev: { enabled: true, key_file: null } },
        // A connection the committed policy does not describe: every message is denied, naming it.
        connections: [{ name: 'undescribed', url: upstream.url }],
      },
      {},
    );
    gw = await startGateway(config, { baseDir: REPO, log: captured.log });
    token = await gw.identity.dev!.mint({ sub: 'alice', groups: ['mcp-readers'] });
  });
  after(async () => {
    await gw?.regate.stop();
    await upstream?.close();
  });

  const cases = [
    { name: 'method', message: { jsonrpc: '2.0', id: 1, method: 'm'.repeat(1_000_000) } },
    { name: 'tool', message: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 't'.repeat(1_000_000), arguments: {} } } },
  ];
  for (const c of cases) {
    it(`a 1 MB ${c.name} name: a small denial with a truncation marker, and small log lines`, async () => {
      const res = await fetch(`${gw.regate.url}/mcp/undescribed`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(c.message),
      });
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.match(text, /denied/);
      assert.match(text, /\.\.\.\[999800 more characters\]/);
      assert.ok(text.length < 5000, `answer of ${text.length} characters`);
      await new Promise((r) => setTimeout(r, 50));
      const decisions = captured.records().filter((l) => l.component === 'decision_log');
      assert.ok(decisions.length > 0);
      for (const line of captured.text().split('\n')) assert.ok(line.length < 5000, `log line of ${line.length} characters`);
    });
  }
});
