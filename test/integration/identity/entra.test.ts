import assert from 'node:assert/strict';
import { AuthError } from '../../../src/identity/auth-error.ts';
import type { Identity } from '../../../src/identity/create.ts';
import { RegateError } from '../../../src/errors.ts';
import { GraphFake } from '../../helpers/graph-fake.ts';
import { tamper, TestIssuer } from '../../helpers/issuer.ts';
import { testCa, type TestCa } from '../../helpers/test-ca.ts';
import {
  AGENT_CLIENT_ID, AGENT_SP_OID, ALICE_OID, API_APP_ID_URI, API_CLIENT_ID, GROUP_FINANCE, GROUP_SUPPORT,
  PARTNER_TENANT, STRANGER_TENANT, TENANT, v1UserClaims, v2AppClaims, v2UserClaims,
} from './entra-fixtures.ts';
import { buildIdentity, PUBLIC_URL, recordingCredential } from './identity-setup.ts';

const MCP_URL = '/mcp/crm';
const METADATA = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp/crm`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const nowS = () => Math.floor(Date.now() / 1000);

/** Awaits a rejection and returns it as an AuthError (fails the test otherwise). */
async function rejection(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AuthError, `expected an AuthError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the token to be rejected');
}

describe('Entra ID authentication against a local HTTPS issuer', () => {
  let ca: TestCa;
  let issuer: TestIssuer;
  let graph: GraphFake;
  let identity: Identity;
  const credential = recordingCredential();

  const entraConfig = (over: Record<string, unknown> = {}) => ({
    provider: 'entra',
    tenant_id: TENANT,
    audience: [API_CLIENT_ID, API_APP_ID_URI],
    identity_metadata: issuer.entraMetadataUrl(TENANT),
    clock_skew_seconds: 60,
    groups_overage: { graph_url: graph.url },
    // No cooldown, so a rotated key is fetched at once in this suite; the cooldown has its own test.
    jwks: { cooldown_seconds: 0 },
    ...over,
  });

  before(async () => {
    ca = await testCa();
    issuer = await TestIssuer.start({ ca });
    graph = await GraphFake.start({ ca, accessToken: 'graph-access-token-for-regate' });
    identity = await buildIdentity(ca, entraConfig(), { credential });
  });

  after(async () => {
    await issuer.close();
    await graph.close();
  });

  describe('accepts genuine tokens', () => {
    it('maps a v2.0 user token to a user principal', async () => {
      const p = await identity.authenticate(bearer(await issuer.sign(v2UserClaims())), MCP_URL);
      assert.deepEqual(
        { type: p.type, id: p.id, name: p.name, tenant: p.tenant, groups: p.groups, scopes: p.scopes, client_id: p.client_id },
        { type: 'user', id: ALICE_OID, name: 'alice@contoso.example', tenant: TENANT, groups: [GROUP_FINANCE, GROUP_SUPPORT], scopes: ['mcp.call'], client_id: AGENT_CLIENT_ID },
      );
    });

    it('maps a v1.0 user token (sts.windows.net issuer, App ID URI audience) to a user principal', async () => {
      const p = await identity.authenticate(bearer(await issuer.sign(v1UserClaims())), MCP_URL);
      assert.equal(p.type, 'user');
      assert.equal(p.issuer, `https://sts.windows.net/${TENANT}/`);
      assert.equal(p.client_id, AGENT_CLIENT_ID);
    });

    it('maps an app-only token to an app principal with its roles', async () => {
      const p = await identity.authenticate(bearer(await issuer.sign(v2AppClaims())), MCP_URL);
      assert.deepEqual({ type: p.type, id: p.id, roles: p.roles, scopes: p.scopes }, { type: 'app', id: AGENT_SP_OID, roles: ['MCP.Invoke'], scopes: [] });
    });

    it('accepts a token that expired within the clock skew', async () => {
      const token = await issuer.sign(v2UserClaims({ exp: nowS() - 30 }));
      assert.equal((await identity.authenticate(bearer(token), MCP_URL)).id, ALICE_OID);
    });
  });

  describe('rejects every attack with 401 and a precise code', () => {
    const attacks: Array<{ name: string; code: string; token: () => Promise<string> }> = [
      { name: 'expired', code: 'REGATE_ERR_AUTH_EXPIRED', token: () => issuer.sign(v2UserClaims({ exp: nowS() - 120 })) },
      { name: 'not yet valid', code: 'REGATE_ERR_AUTH_NOT_YET_VALID', token: () => issuer.sign(v2UserClaims({ nbf: nowS() + 600 })) },
      { name: 'wrong audience', code: 'REGATE_ERR_AUTH_AUDIENCE', token: () => issuer.sign(v2UserClaims({ aud: 'https://graph.microsoft.com' })) },
      { name: 'no audience', code: 'REGATE_ERR_AUTH_AUDIENCE', token: () => issuer.sign(v2UserClaims({ aud: undefined })) },
      { name: 'wrong issuer', code: 'REGATE_ERR_AUTH_ISSUER', token: () => issuer.sign(v2UserClaims({ iss: `https://evil.example/${TENANT}/v2.0` })) },
      {
        name: "issuer of another tenant than the token's tid",
        code: 'REGATE_ERR_AUTH_ISSUER',
        token: () => issuer.sign(v2UserClaims({ iss: `https://login.microsoftonline.com/${STRANGER_TENANT}/v2.0` })),
      },
      {
        name: 'tenant not allowed',
        code: 'REGATE_ERR_AUTH_TENANT',
        token: () => issuer.sign(v2UserClaims({ tid: STRANGER_TENANT, iss: `https://login.microsoftonline.com/${STRANGER_TENANT}/v2.0` })),
      },
      { name: 'alg none', code: 'REGATE_ERR_AUTH_ALG_NOT_ALLOWED', token: async () => issuer.unsigned(v2UserClaims()) },
      { name: 'HS256 signed with the public key', code: 'REGATE_ERR_AUTH_ALG_NOT_ALLOWED', token: () => issuer.hs256WithPublicKey(v2UserClaims()) },
      { name: 'tampered payload', code: 'REGATE_ERR_AUTH_SIGNATURE', token: async () => tamper(await issuer.sign(v2UserClaims()), { groups: ['admins'] }) },
      { name: 'signed by another key under a known kid', code: 'REGATE_ERR_AUTH_SIGNATURE', token: () => issuer.signWithForeignKey(v2UserClaims(), issuer.currentKid) },
      { name: 'unknown kid', code: 'REGATE_ERR_AUTH_UNKNOWN_KID', token: () => issuer.signWithForeignKey(v2UserClaims(), 'not-a-published-kid') },
      { name: 'no exp claim', code: 'REGATE_ERR_AUTH_CLAIMS', token: () => issuer.sign(v2UserClaims({ exp: undefined })) },
      { name: 'no oid claim', code: 'REGATE_ERR_AUTH_CLAIMS', token: () => issuer.sign(v2UserClaims({ oid: undefined })) },
      { name: 'garbage', code: 'REGATE_ERR_AUTH_MALFORMED', token: async () => 'not.a.jwt' },
      { name: 'an encrypted token (JWE)', code: 'REGATE_ERR_AUTH_MALFORMED', token: async () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d' },
    ];

    for (const attack of attacks) {
      it(`${attack.name} -> ${attack.code}`, async () => {
        const err = await rejection(identity.authenticate(bearer(await attack.token()), MCP_URL));
        assert.equal(err.code, attack.code);
        assert.equal(err.status, 401);
        assert.match(err.wwwAuthenticate ?? '', new RegExp(`^Bearer resource_metadata="${METADATA}", error="invalid_token", error_description="[^"]+"$`));
      });
    }

    it('token in the query string -> REGATE_ERR_AUTH_QUERY_TOKEN, even with a valid header', async () => {
      const token = await issuer.sign(v2UserClaims());
      const err = await rejection(identity.authenticate(bearer(token), `${MCP_URL}?access_token=${token}`));
      assert.equal(err.code, 'REGATE_ERR_AUTH_QUERY_TOKEN');
      assert.equal(err.status, 401);
      assert.match(err.wwwAuthenticate ?? '', /error="invalid_request"/);
    });

    it('no token -> REGATE_ERR_AUTH_MISSING with a challenge that names only the metadata', async () => {
      const err = await rejection(identity.authenticate({}, MCP_URL));
      assert.equal(err.code, 'REGATE_ERR_AUTH_MISSING');
      assert.equal(err.wwwAuthenticate, `Bearer resource_metadata="${METADATA}"`);
    });

    it('a v1.0 token when accept_v1 is false -> REGATE_ERR_AUTH_ISSUER', async () => {
      const strict = await buildIdentity(ca, entraConfig({ accept_v1: false }), { credential });
      const err = await rejection(strict.authenticate(bearer(await issuer.sign(v1UserClaims())), MCP_URL));
      assert.equal(err.code, 'REGATE_ERR_AUTH_ISSUER');
    });
  });

  describe('signing keys', () => {
    it('accepts tokens signed with a rotated key without a restart, fetching the JWKS once more', async () => {
      const before = await issuer.sign(v2UserClaims());
      await identity.authenticate(bearer(before), MCP_URL);
      const fetches = issuer.jwksFetches;
      await issuer.rotate({ keepPrevious: false });
      const after = await issuer.sign(v2UserClaims({ uti: 'after-rotation' }));
      const p = await identity.authenticate(bearer(after), MCP_URL);
      assert.equal(p.id, ALICE_OID);
      assert.equal(issuer.jwksFetches, fetches + 1);
      // A token signed by the retired key and never seen before is now refused.
      const oldKeyToken = await issuer.signWithForeignKey(v2UserClaims(), 'retired-kid');
      assert.equal((await rejection(identity.authenticate(bearer(oldKeyToken), MCP_URL))).code, 'REGATE_ERR_AUTH_UNKNOWN_KID');
    });

    it('refetches the key set for unknown kids at most once per cooldown', async () => {
      const cooled = await buildIdentity(ca, entraConfig({ jwks: { cooldown_seconds: 30 } }), { credential });
      await cooled.authenticate(bearer(await issuer.sign(v2UserClaims())), MCP_URL);
      const fetches = issuer.jwksFetches;
      for (let i = 0; i < 5; i++) {
        const forged = await issuer.signWithForeignKey(v2UserClaims(), `forged-${i}`);
        assert.equal((await rejection(cooled.authenticate(bearer(forged), MCP_URL))).code, 'REGATE_ERR_AUTH_UNKNOWN_KID');
      }
      assert.equal(issuer.jwksFetches, fetches);
    });

    it('warmUp() resolves discovery and fetches the keys before the first request', async () => {
      const fresh = await buildIdentity(ca, entraConfig(), { credential });
      const [metadata, keys] = [issuer.metadataFetches, issuer.jwksFetches];
      await fresh.warmUp();
      assert.deepEqual([issuer.metadataFetches, issuer.jwksFetches], [metadata + 1, keys + 1]);
      await fresh.authenticate(bearer(await issuer.sign(v2UserClaims({ uti: 'after-warm-up' }))), MCP_URL);
      assert.equal(issuer.jwksFetches, keys + 1);
    });

    it('reports an unreachable key set as 503 REGATE_ERR_AUTH_KEYS_UNAVAILABLE, not as a bad token', async () => {
      const broken = await buildIdentity(ca, entraConfig({ identity_metadata: undefined, jwks_uri: `${issuer.url}/no/such/keys` }), { credential });
      await assert.rejects(broken.authenticate(bearer(await issuer.sign(v2UserClaims())), MCP_URL), (err: unknown) => {
        assert.ok(err instanceof RegateError && !(err instanceof AuthError));
        assert.equal(err.code, 'REGATE_ERR_AUTH_KEYS_UNAVAILABLE');
        assert.equal(err.status, 503);
        return true;
      });
    });
  });

  describe('validated-token cache', () => {
    it('serves a repeated token from the cache without touching the key set', async () => {
      const token = await issuer.sign(v2UserClaims({ uti: 'cache-me' }));
      const first = await identity.authenticate(bearer(token), MCP_URL);
      const { hits } = identity.validator.stats;
      const fetches = issuer.jwksFetches;
      const second = await identity.authenticate(bearer(token), MCP_URL);
      assert.equal(second, first);
      assert.ok(Object.isFrozen(second) && Object.isFrozen(second.groups));
      assert.equal(identity.validator.stats.hits, hits + 1);
      assert.equal(issuer.jwksFetches, fetches);
    });

    it('does not cache rejections', async () => {
      const token = await issuer.sign(v2UserClaims({ aud: 'someone-else' }));
      const size = identity.validator.size;
      await rejection(identity.authenticate(bearer(token), MCP_URL));
      assert.equal(identity.validator.size, size);
    });
  });

  describe('groups overage', () => {
    const overage = {
      groups: undefined,
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `https://graph.windows.net/${TENANT}/users/${ALICE_OID}/getMemberObjects` } },
    };

    it("resolves a user's groups through Graph getMemberObjects with the gateway's credential, then caches them", async () => {
      graph.setMembership('users', ALICE_OID, { security: [GROUP_FINANCE, GROUP_SUPPORT], other: ['m365-group'] });
      const callsBefore = graph.calls.length;
      const p = await identity.authenticate(bearer(await issuer.sign(v2UserClaims({ ...overage, uti: 'ov-1' }))), MCP_URL);
      assert.deepEqual(p.groups, [GROUP_FINANCE, GROUP_SUPPORT]);
      const call = graph.calls.at(-1);
      assert.deepEqual(call, {
        path: `/v1.0/users/${ALICE_OID}/getMemberObjects`,
        authorization: 'Bearer graph-access-token-for-regate',
        body: { securityEnabledOnly: true },
        status: 200,
      });
      assert.deepEqual(credential.calls.at(-1), { scopes: `${graph.url}/.default`, tenantId: undefined });
      // Another token of the same user within cache_seconds: no second Graph call.
      await identity.authenticate(bearer(await issuer.sign(v2UserClaims({ ...overage, uti: 'ov-2' }))), MCP_URL);
      assert.equal(graph.calls.length, callsBefore + 1);
    });

    it("resolves an app's groups through servicePrincipals/{oid}/getMemberObjects (hasgroups form)", async () => {
      graph.setMembership('servicePrincipals', AGENT_SP_OID, { security: [GROUP_SUPPORT] });
      const p = await identity.authenticate(bearer(await issuer.sign(v2AppClaims({ hasgroups: true }))), MCP_URL);
      assert.deepEqual(p.groups, [GROUP_SUPPORT]);
      assert.equal(graph.calls.at(-1)?.path, `/v1.0/servicePrincipals/${AGENT_SP_OID}/getMemberObjects`);
    });

    it('denies with 503 REGATE_ERR_AUTH_GROUPS_UNAVAILABLE when Graph fails, and retries on the next request', async () => {
      const fresh = await buildIdentity(ca, entraConfig(), { credential });
      graph.failNext(503);
      const token = await issuer.sign(v2UserClaims({ ...overage, uti: 'ov-3' }));
      await assert.rejects(fresh.authenticate(bearer(token), MCP_URL), (err: unknown) => {
        assert.ok(err instanceof RegateError && !(err instanceof AuthError));
        assert.equal(err.code, 'REGATE_ERR_AUTH_GROUPS_UNAVAILABLE');
        assert.equal(err.status, 503);
        assert.match(err.message, /HTTP 503 \(serviceNotAvailable\)/);
        return true;
      });
      assert.deepEqual((await fresh.authenticate(bearer(token), MCP_URL)).groups, [GROUP_FINANCE, GROUP_SUPPORT]);
    });

    it('denies when Graph does not know the object', async () => {
      const stranger = '99999999-9999-4999-8999-999999999999';
      const token = await issuer.sign(v2UserClaims({ ...overage, oid: stranger }));
      await assert.rejects(identity.authenticate(bearer(token), MCP_URL), { code: 'REGATE_ERR_AUTH_GROUPS_UNAVAILABLE' });
    });

    it('refuses overage tokens with 401 REGATE_ERR_AUTH_GROUPS_OVERAGE when resolution is disabled', async () => {
      const off = await buildIdentity(ca, entraConfig({ groups_overage: { enabled: false } }));
      const err = await rejection(off.authenticate(bearer(await issuer.sign(v2UserClaims(overage))), MCP_URL));
      assert.equal(err.code, 'REGATE_ERR_AUTH_GROUPS_OVERAGE');
    });

    it('requires a credential when resolution is enabled', async () => {
      await assert.rejects(buildIdentity(ca, entraConfig()), { code: 'REGATE_ERR_CONFIG_INVALID' });
    });
  });

  describe('required app role and scope (403 insufficient_scope)', () => {
    it('refuses an app token without the required role, naming the role in the challenge', async () => {
      const strict = await buildIdentity(ca, entraConfig({ required_app_role: 'MCP.Invoke' }), { credential });
      const err = await rejection(strict.authenticate(bearer(await issuer.sign(v2AppClaims({ roles: undefined }))), MCP_URL));
      assert.equal(err.code, 'REGATE_ERR_AUTH_INSUFFICIENT_SCOPE');
      assert.equal(err.status, 403);
      assert.match(err.wwwAuthenticate ?? '', /^Bearer error="insufficient_scope", scope="MCP.Invoke", resource_metadata="[^"]+"/);
      assert.equal((await strict.authenticate(bearer(await issuer.sign(v2AppClaims())), MCP_URL)).type, 'app');
    });

    it('refuses a user token without the required scope', async () => {
      const strict = await buildIdentity(ca, entraConfig({ required_scope: 'mcp.call' }), { credential });
      const err = await rejection(strict.authenticate(bearer(await issuer.sign(v2UserClaims({ scp: 'User.Read' }))), MCP_URL));
      assert.equal(err.status, 403);
    });
  });

  describe('multi-tenant', () => {
    it('accepts allowlisted tenants (v1 and v2) and refuses the rest', async () => {
      const multi = await buildIdentity(
        ca,
        entraConfig({ tenant_id: 'organizations', tenants: [TENANT, PARTNER_TENANT], identity_metadata: issuer.entraMetadataUrl('organizations') }),
        { credential },
      );
      const partnerV2 = v2UserClaims({ tid: PARTNER_TENANT, iss: `https://login.microsoftonline.com/${PARTNER_TENANT}/v2.0` });
      const partnerV1 = v1UserClaims({ tid: PARTNER_TENANT, iss: `https://sts.windows.net/${PARTNER_TENANT}/` });
      assert.equal((await multi.authenticate(bearer(await issuer.sign(partnerV2)), MCP_URL)).tenant, PARTNER_TENANT);
      assert.equal((await multi.authenticate(bearer(await issuer.sign(partnerV1)), MCP_URL)).tenant, PARTNER_TENANT);
      const stranger = v2UserClaims({ tid: STRANGER_TENANT, iss: `https://login.microsoftonline.com/${STRANGER_TENANT}/v2.0` });
      assert.equal((await rejection(multi.authenticate(bearer(await issuer.sign(stranger)), MCP_URL))).code, 'REGATE_ERR_AUTH_TENANT');
    });

    it('looks up overage groups in the caller tenant', async () => {
      const multi = await buildIdentity(
        ca,
        entraConfig({ tenant_id: 'organizations', tenants: [TENANT, PARTNER_TENANT] }),
        { credential },
      );
      const partnerUser = '22222222-3333-4444-8555-666666666666';
      graph.setMembership('users', partnerUser, { security: [GROUP_FINANCE] });
      const claims = v2UserClaims({
        tid: PARTNER_TENANT,
        iss: `https://login.microsoftonline.com/${PARTNER_TENANT}/v2.0`,
        oid: partnerUser,
        groups: undefined,
        hasgroups: true,
      });
      assert.deepEqual((await multi.authenticate(bearer(await issuer.sign(claims)), MCP_URL)).groups, [GROUP_FINANCE]);
      assert.equal(credential.calls.at(-1)?.tenantId, PARTNER_TENANT);
    });
  });
});
