import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startHeaderEchoServer, WHOAMI_TOOL, type HeaderEchoServer } from '../../fixtures/header-echo-server.ts';
import { connectClient, type PeerTransport } from '../../helpers/peers.ts';

const headers = { Authorization: 'Bearer agent-token', Cookie: 'session=agent-cookie', 'X-Trace': 'abc' };

describe('test fixture: header-echo MCP server', () => {
  let echo: HeaderEchoServer;
  beforeEach(async () => {
    echo = await startHeaderEchoServer();
  });
  afterEach(async () => {
    await echo.close();
  });

  const transports: Array<{ transport: PeerTransport; url: (e: HeaderEchoServer) => string }> = [
    { transport: 'streamable-http', url: (e) => e.url },
    { transport: 'sse', url: (e) => e.sseUrl },
  ];
  for (const { transport, url } of transports) {
    it(`returns the headers of the tools/call request (${transport})`, async () => {
      const mcp = await connectClient(url(echo), transport, { headers });
      try {
        const result = (await mcp.client.callTool({ name: WHOAMI_TOOL, arguments: {} })) as CallToolResult;
        const first = result.content[0];
        const seen = JSON.parse(first?.type === 'text' ? first.text : '{}') as Record<string, string>;
        assert.equal(seen['authorization'], 'Bearer agent-token');
        assert.equal(seen['cookie'], 'session=agent-cookie');
        assert.equal(seen['x-trace'], 'abc');
      } finally {
        await mcp.close();
      }
    });

    it(`records every HTTP request it received (${transport})`, async () => {
      const mcp = await connectClient(url(echo), transport, { headers });
      await mcp.client.callTool({ name: WHOAMI_TOOL, arguments: {} });
      await mcp.close();
      // initialize + notifications/initialized + tools/call at least, plus the GET stream.
      assert.ok(echo.requests.length >= 4, `${echo.requests.length} requests`);
      assert.ok(echo.requests.some((r) => r.method === 'GET'));
      for (const r of echo.requests) {
        assert.equal(r.headers.authorization, 'Bearer agent-token', `${r.method} ${r.url}`);
        assert.ok(r.rawHeaders.includes('session=agent-cookie'));
      }
    });
  }

  it('forgets recorded requests on clear()', async () => {
    const mcp = await connectClient(echo.url, 'streamable-http');
    await mcp.close();
    assert.ok(echo.requests.length > 0);
    echo.clear();
    assert.equal(echo.requests.length, 0);
  });
});
