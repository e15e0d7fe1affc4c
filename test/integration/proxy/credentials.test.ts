import assert from 'node:assert/strict';
import type { RunningRegate } from '../../../src/http/server.ts';
import { WHOAMI_TOOL, startHeaderEchoServer, type HeaderEchoServer } from '../../fixtures/header-echo-server.ts';
import { connectClient, type PeerTransport } from '../../helpers/peers.ts';
import { startTestRegate } from '../../helpers/regate.ts';

describe('credentials: the upstream gets the gateway credential and never the agent token', function () {
  this.timeout(30_000);
  let echo: HeaderEchoServer;
  let regate: RunningRegate;
  const gateway = 'Bearer gateway-held-secret';

  before(async () => {
    echo = await startHeaderEchoServer();
    regate = await startTestRegate({
      connections: [
        { name: 'echo', url: echo.url, headers: { Authorization: gateway, 'X-Upstream-Tenant': 'acme' } },
        { name: 'echo-sse', url: echo.sseUrl, transport: 'sse', headers: { Authorization: gateway } },
      ],
    });
  });
  after(async () => {
    await regate?.stop();
    await echo?.close();
  });

  const cases: ReadonlyArray<{ transport: PeerTransport; path: string }> = [
    { transport: 'streamable-http', path: '/mcp/echo' },
    { transport: 'sse', path: '/sse/echo-sse' },
  ];
  for (const c of cases) {
    it(`over ${c.transport}: every upstream request carries the gateway credential only`, async () => {
      echo.clear();
      const client = await connectClient(`${regate.url}${c.path}`, c.transport, {
        headers: { Authorization: 'Bearer agent-token-must-not-leak', Cookie: 'sid=agent-cookie', 'X-Forwarded-For': '6.6.6.6' },
      });
      const result = await client.client.callTool({ name: WHOAMI_TOOL, arguments: {} });
      await client.close();
      const seenByTool = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, string>;
      assert.equal(seenByTool.authorization, gateway);
      assert.ok(echo.requests.length >= 3, 'initialize, initialized and the call were all seen');
      for (const r of echo.requests) {
        const raw = r.rawHeaders.join('\n');
        assert.equal(r.headers.authorization, gateway, `${r.method} ${r.url}`);
        assert.doesNotMatch(raw, /agent-token-must-not-leak|agent-cookie|6\.6\.6\.6/, `${r.method} ${r.url}`);
        assert.equal(r.headers.cookie, undefined);
      }
    });
  }
});
