import assert from 'node:assert/strict';
import { AuthError } from '../../../src/identity/auth-error.ts';
import { RegateError } from '../../../src/errors.ts';
import { TestIssuer } from '../../helpers/issuer.ts';
import { testCa, type TestCa } from '../../helpers/test-ca.ts';
import { buildIdentity } from './identity-setup.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const nowS = () => Math.floor(Date.now() / 1000);
const GITHUB = 'https://token.actions.githubusercontent.com';

describe('OIDC authentication with discovery', () => {
  let ca: TestCa;
  let idp: TestIssuer;
  let github: TestIssuer;

  before(async () => {
    ca = await testCa();
    idp = await TestIssuer.start({ ca, alg: 'ES256' });
    github = await TestIssuer.start({ ca, metadataIssuer: GITHUB });
  });

  after(async () => {
    await idp.close();
    await github.close();
  });

  const keycloakClaims = (over: Record<string, unknown> = {}) => ({
    iss: idp.url,
    aud: 'regate',
    sub: 'f3d1c2b4-user-bob',
    azp: 'agent-cli',
    preferred_username: 'bob',
    scope: 'openid mcp',
    realm_access: { roles: ['mcp-operator'] },
    groups: ['/engineering'],
    iat: nowS() - 5,
    exp: nowS() + 300,
    ...over,
  });

  it('finds the key set through {issuer}/.well-known/openid-configuration and maps claims as configured', async () => {
    const identity = await buildIdentity(ca, {
      provider: 'oidc',
      issuer: idp.url,
      audience: 'regate',
      roles_claim: 'realm_access.roles',
    });
    const metadataFetches = idp.metadataFetches;
    const p = await identity.authenticate(bearer(await idp.sign(keycloakClaims())), '/mcp/crm');
    assert.deepEqual(p, {
      type: 'user',
      id: 'f3d1c2b4-user-bob',
      name: 'bob',
      tenant: idp.url,
      groups: ['/engineering'],
      roles: ['mcp-operator'],
      scopes: ['openid', 'mcp'],
      client_id: 'agent-cli',
      issuer: idp.url,
      expires_at: p.expires_at,
    });
    assert.equal(idp.metadataFetches, metadataFetches + 1);
  });

  it('rejects a token from another issuer, and algorithms outside the configured list', async () => {
    const identity = await buildIdentity(ca, { provider: 'oidc', issuer: idp.url, audience: ['regate'], algorithms: ['ES256'] });
    await assert.rejects(identity.authenticate(bearer(await idp.sign(keycloakClaims({ iss: 'https://other.example' }))), '/mcp/crm'), {
      code: 'REGATE_ERR_AUTH_ISSUER',
    });
    await assert.rejects(identity.authenticate(bearer(await github.sign(keycloakClaims())), '/mcp/crm'), {
      code: 'REGATE_ERR_AUTH_ALG_NOT_ALLOWED',
    });
  });

  it('refuses keys from a discovery document that names another issuer (503, not a bad token)', async () => {
    const identity = await buildIdentity(ca, {
      provider: 'oidc',
      issuer: 'https://idp.example',
      discovery_url: idp.metadataUrl,
      audience: ['regate'],
    });
    await assert.rejects(identity.authenticate(bearer(await idp.sign(keycloakClaims({ iss: 'https://idp.example' }))), '/mcp/crm'), (err: unknown) => {
      assert.ok(err instanceof RegateError && !(err instanceof AuthError));
      assert.equal(err.code, 'REGATE_ERR_AUTH_KEYS_UNAVAILABLE');
      assert.match(err.message, /names issuer "https:\/\/127\.0\.0\.1:\d+", expected "https:\/\/idp\.example"/);
      return true;
    });
  });

  describe('GitHub Actions OIDC tokens', () => {
    const actionsClaims = (over: Record<string, unknown> = {}) => ({
      jti: 'example-id',
      sub: 'repo:contoso/agents:ref:refs/heads/main',
      aud: 'https://github.com/contoso',
      ref: 'refs/heads/main',
      sha: 'example-sha',
      repository: 'contoso/agents',
      repository_owner: 'contoso',
      repository_owner_id: '65',
      run_id: '1',
      workflow: 'nightly',
      job_workflow_ref: 'contoso/agents/.github/workflows/nightly.yml@refs/heads/main',
      event_name: 'schedule',
      runner_environment: 'github-hosted',
      iss: GITHUB,
      nbf: nowS() - 5,
      iat: nowS() - 5,
      exp: nowS() + 300,
      ...over,
    });

    it('treats a workflow token as an app principal named by its subject', async () => {
      const identity = await buildIdentity(ca, {
        provider: 'oidc',
        issuer: GITHUB,
        discovery_url: github.metadataUrl,
        audience: ['https://github.com/contoso'],
        client_id_claim: 'job_workflow_ref',
        tenant_claim: 'repository_owner',
      });
      const p = await identity.authenticate(bearer(await github.sign(actionsClaims())), '/mcp/ci');
      assert.deepEqual(
        { type: p.type, id: p.id, name: p.name, tenant: p.tenant, client_id: p.client_id, issuer: p.issuer },
        {
          type: 'app',
          id: 'repo:contoso/agents:ref:refs/heads/main',
          name: 'repo:contoso/agents:ref:refs/heads/main',
          tenant: 'contoso',
          client_id: 'contoso/agents/.github/workflows/nightly.yml@refs/heads/main',
          issuer: GITHUB,
        },
      );
    });

    it('rejects a workflow token minted for another audience', async () => {
      const identity = await buildIdentity(ca, {
        provider: 'oidc',
        issuer: GITHUB,
        discovery_url: github.metadataUrl,
        audience: ['https://github.com/contoso'],
      });
      const token = await github.sign(actionsClaims({ aud: 'https://github.com/someone-else' }));
      await assert.rejects(identity.authenticate(bearer(token), '/mcp/ci'), { code: 'REGATE_ERR_AUTH_AUDIENCE', status: 401 });
    });
  });
});
