import assert from 'node:assert/strict';
import type { Identity } from '../../../src/identity/create.ts';
import type { Principal } from '../../../src/identity/principal.ts';
import type { RunningRegate } from '../../../src/http/server.ts';
import type { Stage } from '../../../src/pipeline/stage.ts';
import { WHOAMI_TOOL, startHeaderEchoServer, type HeaderEchoServer } from '../../fixtures/header-echo-server.ts';
import { GraphFake } from '../../helpers/graph-fake.ts';
import { TestIssuer, tamper } from '../../helpers/issuer.ts';
import { connectClient } from '../../helpers/peers.ts';
import { startTestRegate } from '../../helpers/regate.ts';
import { testCa } from '../../helpers/test-ca.ts';
import { API_CLIENT_ID, GROUP_FINANCE, GROUP_SUPPORT, TENANT, v2UserClaims } from './entra-fixtures.ts';
import { PUBLIC_URL, buildIdentity, recordingCredential } from './identity-setup.ts';

/**
 * Authentication in the data path: regate knows who calls before anything else happens, and a
 * refused token never produces an upstream request.
 */
describe('identity in the gateway: Entra bearer tokens on every MCP route', function () {
  this.timeout(30_000);
  let issuer: TestIssuer;
  let graph: GraphFake;
  let identity: Identity;
  let echo: HeaderEchoServer;
  let regate: RunningRegate;
  const seenPrincipals: Principal[] = [];
  const recordingStage: Stage = {
    name: 'test.principals',
    request: (call) => {
      seenPrincipals.push(call.exchange.principal as Principal);
      return { action: 'continue' };
    },
  };

  before(async () => {
    const ca = await testCa();
    issuer = await TestIssuer.start({ ca });
    graph = await GraphFake.start({ ca, accessToken: 'graph-access-token-for-regate' });
    identity = await buildIdentity(
      ca,
      { provider: 'entra', tenant_id: TENANT, audience: [API_CLIENT_ID], identity_metadata: issuer.entraMetadataUrl(TENANT), groups_overage: { graph_url: graph.url } },
      { credential: recordingCredential() },
    );
    echo = await startHeaderEchoServer();
    regate = await startTestRegate(
      { public_url: PUBLIC_URL, connections: [{ name: 'echo', url: echo.url, headers: { Authorization: 'Bearer gateway' } }] },
      { identity, stages: [recordingStage] },
    );
  });
  after(async () => {
    await regate?.stop();
    await Promise.all([echo?.close(), issuer?.close(), graph?.close()]);
  });

  it('the SDK client with a valid token reaches a tool, and the hook sees its groups', async () => {
    const token = await issuer.sign(v2UserClaims());
    const c = await connectClient(`${regate.url}/mcp/echo`, 'streamable-http', { headers: { Authorization: `Bearer ${token}` } });
    const result = await c.client.callTool({ name: WHOAMI_TOOL, arguments: {} });
    await c.close();
    const upstreamSaw = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, string>;
    assert.equal(upstreamSaw.authorization, 'Bearer gateway');
    const p = seenPrincipals.at(-1)!;
    assert.deepEqual({ type: p.type, tenant: p.tenant, groups: p.groups }, { type: 'user', tenant: TENANT, groups: [GROUP_FINANCE, GROUP_SUPPORT] });
  });

  const nowS = () => Math.floor(Date.now() / 1000);
  const attacks: ReadonlyArray<{ name: string; request: () => Promise<{ url: string; headers: Record<string, string> }>; code: string }> = [
    { name: 'no token', request: async () => ({ url: '/mcp/echo', headers: {} }), code: 'REGATE_ERR_AUTH_MISSING' },
    {
      name: 'an expired token',
      request: async () => ({ url: '/mcp/echo', headers: { authorization: `Bearer ${await issuer.sign(v2UserClaims({ exp: nowS() - 3600, nbf: nowS() - 7200, iat: nowS() - 7200 }))}` } }),
      code: 'REGATE_ERR_AUTH_EXPIRED',
    },
    {
      name: 'a token for another audience',
      request: async () => ({ url: '/mcp/echo', headers: { authorization: `Bearer ${await issuer.sign(v2UserClaims({ aud: 'api://someone-else' }))}` } }),
      code: 'REGATE_ERR_AUTH_AUDIENCE',
    },
    {
      name: 'a tampered payload',
      request: async () => ({ url: '/mcp/echo', headers: { authorization: `Bearer ${tamper(await issuer.sign(v2UserClaims()), { groups: ['admins'] })}` } }),
      code: 'REGATE_ERR_AUTH_SIGNATURE',
    },
    {
      name: 'a token in the query string',
      request: async () => ({ url: `/mcp/echo?access_token=${await issuer.sign(v2UserClaims())}`, headers: {} }),
      code: 'REGATE_ERR_AUTH_QUERY_TOKEN',
    },
  ];
  for (const a of attacks) {
    it(`${a.name} -> 401 with the resource metadata challenge, and the upstream sees no request`, async () => {
      const { url, headers } = await a.request();
      const before = echo.requests.length;
      const res = await fetch(`${regate.url}${url}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}',
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer .*resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp/echo"`));
      const body = (await res.json()) as { error: { data: { code: string } } };
      assert.equal(body.error.data.code, a.code);
      assert.equal(echo.requests.length, before, 'nothing reached the upstream');
    });
  }

  it('GET streams and DELETE are authenticated too', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${regate.url}/mcp/echo`, { method, headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } });
      assert.equal(res.status, 401, method);
    }
  });

  it('serves RFC 9728 protected resource metadata for regate and per connection', async () => {
    const root = (await (await fetch(`${regate.url}/.well-known/oauth-protected-resource`)).json()) as { resource: string; authorization_servers: string[]; bearer_methods_supported: string[] };
    assert.equal(root.resource, PUBLIC_URL);
    assert.deepEqual(root.bearer_methods_supported, ['header']);
    assert.ok(root.authorization_servers.length >= 1);
    const conn = (await (await fetch(`${regate.url}/.well-known/oauth-protected-resource/mcp/echo`)).json()) as { resource: string };
    assert.equal(conn.resource, `${PUBLIC_URL}/mcp/echo`);
    assert.equal((await fetch(`${regate.url}/.well-known/oauth-protected-resource/mcp/nope`)).status, 404);
  });
});
