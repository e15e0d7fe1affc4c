import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import passport from 'passport';
import type { Identity } from '../../../src/identity/create.ts';
import type { Principal } from '../../../src/identity/principal.ts';
import { GraphFake } from '../../helpers/graph-fake.ts';
import { TestIssuer } from '../../helpers/issuer.ts';
import { testCa, type TestCa } from '../../helpers/test-ca.ts';
import { ALICE_OID, API_CLIENT_ID, TENANT, v2AppClaims, v2UserClaims } from './entra-fixtures.ts';
import { buildIdentity, PUBLIC_URL, recordingCredential } from './identity-setup.ts';

describe('RegateBearerStrategy mounted with passport in front of a route', () => {
  let ca: TestCa;
  let issuer: TestIssuer;
  let graph: GraphFake;
  let identity: Identity;
  let server: Server;
  let base: string;
  let reached: Principal[];

  before(async () => {
    ca = await testCa();
    issuer = await TestIssuer.start({ ca });
    graph = await GraphFake.start({ ca, accessToken: 'graph-access-token-for-regate' });
    identity = await buildIdentity(
      ca,
      {
        provider: 'entra',
        tenant_id: TENANT,
        clientID: API_CLIENT_ID,
        identityMetadata: issuer.entraMetadataUrl(TENANT),
        required_app_role: 'MCP.Invoke',
        groups_overage: { graph_url: graph.url },
      },
      { credential: recordingCredential() },
    );
    const auth = new passport.Passport();
    auth.use(identity.strategy);
    const app = express();
    app.use(auth.initialize());
    // Stands in for the upstream: it must never be reached by a rejected request.
    app.post('/mcp/:connection', auth.authenticate('regate-bearer', { session: false }), (req, res) => {
      reached.push(req.user as Principal);
      res.json({ ok: true });
    });
    app.use((err: { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).json({ code: err.code });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    reached = [];
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await issuer.close();
    await graph.close();
  });

  const post = (path: string, token?: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: '{}',
    });

  it('lets a valid token through with the principal on req.user', async () => {
    const res = await post('/mcp/crm', await issuer.sign(v2UserClaims()));
    assert.equal(res.status, 200);
    assert.equal(reached[0]?.id, ALICE_OID);
  });

  it('answers 401 with the RFC 9728 challenge and never reaches the route when there is no token', async () => {
    const res = await post('/mcp/crm');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp/crm"`);
    assert.equal(reached.length, 0);
  });

  it('answers 401 invalid_token for a forged token', async () => {
    const res = await post('/mcp/crm', issuer.unsigned(v2UserClaims()));
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="the token is signed with an algorithm/);
    assert.equal(reached.length, 0);
  });

  it('answers 401 for a token in the query string, even a valid one', async () => {
    const token = await issuer.sign(v2UserClaims());
    const res = await post(`/mcp/crm?access_token=${token}`, token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
    assert.equal(reached.length, 0);
  });

  it('answers 403 insufficient_scope with its challenge for an app token without the required role', async () => {
    const res = await post('/mcp/crm', await issuer.sign(v2AppClaims({ roles: ['Other.Role'] })));
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope", scope="MCP.Invoke"/);
    assert.equal(reached.length, 0);
  });

  it("hands outages to the app's error handler (503) instead of blaming the token", async () => {
    graph.failNext(503);
    const token = await issuer.sign(v2UserClaims({ groups: undefined, hasgroups: true }));
    const res = await post('/mcp/crm', token);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { code: 'REGATE_ERR_AUTH_GROUPS_UNAVAILABLE' });
    assert.equal(res.headers.get('www-authenticate'), null);
    assert.equal(reached.length, 0);
  });
});
