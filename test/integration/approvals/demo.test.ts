import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connectClient } from '../../helpers/peers.ts';
import { spawnPeer } from '../../helpers/peers.ts';

const MAIN = join(import.meta.dirname, '../../../src/main.ts');

/**
 * `npm start` tells the approval story: the demo agent's delete_customer is held, the console
 * prints where to decide it, and the demo approver's token (printed in the banner) approves it.
 */
describe('approvals in the embedded default (npm start)', function () {
  this.timeout(60_000);

  it('holds delete_customer by the demo agent until the demo approver approves it', async () => {
    const p = spawnPeer(process.execPath, [MAIN, 'serve'], { ...process.env, REGATE_LISTEN_PORT: '0', REGATE_LOG_LEVEL: 'info' });
    try {
      const waitFor = async (re: RegExp): Promise<string> => {
        const until = Date.now() + 20_000;
        for (;;) {
          const m = re.exec(p.output());
          if (m) return m[1]!;
          if (Date.now() > until || p.exited()) throw new Error(`no ${re} in:\n${p.output()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const mcp = await waitFor(/MCP endpoint \(Streamable HTTP\): (\S+)/);
      const agent = await waitFor(/export TOKEN=(\S+)/);
      const approver = await waitFor(/export APPROVER_TOKEN=(\S+)/);
      assert.match(p.output(), /approval page: http:\/\/\S+\/approvals/);
      const c = await connectClient(mcp, 'streamable-http', { headers: { Authorization: `Bearer ${agent}` } });
      try {
        const call = c.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_007' } });
        const page = await waitFor(/decide at (http:\/\/\S+\/approvals\/[A-Za-z0-9_-]{43})/);
        const approved = await fetch(`${page}/approve`, { method: 'POST', headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' }, body: '{"comment":"demo"}' });
        assert.equal(approved.status, 200);
        const result = (await call) as { isError?: boolean; structuredContent?: { deleted?: boolean } };
        assert.equal(result.isError, undefined, JSON.stringify(result));
        assert.equal(result.structuredContent?.deleted, true);
      } finally {
        await c.close();
      }
    } finally {
      await p.stop();
    }
  });
});
