import assert from 'node:assert/strict';
import { defaultOidcMapping, githubActionsIssuer, mapOidcClaims, type OidcClaimMapping } from '../../../src/identity/oidc-claims.ts';
import type { Principal } from '../../../src/identity/principal.ts';

const EXP = 1_900_000_000;
const IDP = 'https://idp.example';

describe('OIDC claims -> Principal', () => {
  const cases: Array<{ name: string; claims: Record<string, unknown>; mapping: OidcClaimMapping; principal: Principal }> = [
    {
      name: 'standard claims: preferred_username, space-separated scope, azp',
      claims: { iss: IDP, sub: 'u1', preferred_username: 'bob', scope: 'openid mcp', azp: 'cli', groups: ['eng'], roles: ['op'], exp: EXP },
      mapping: defaultOidcMapping(IDP),
      principal: { type: 'user', id: 'u1', name: 'bob', tenant: IDP, groups: ['eng'], roles: ['op'], scopes: ['openid', 'mcp'], client_id: 'cli', issuer: IDP, expires_at: EXP },
    },
    {
      name: 'Okta style: scp array, cid, no name claims (sub names the principal)',
      claims: { iss: IDP, sub: 'u2', scp: ['mcp.call'], cid: 'okta-client', exp: EXP },
      mapping: defaultOidcMapping(IDP),
      principal: { type: 'user', id: 'u2', name: 'u2', tenant: IDP, groups: [], roles: [], scopes: ['mcp.call'], client_id: 'okta-client', issuer: IDP, expires_at: EXP },
    },
    {
      name: 'Keycloak style: nested roles via a dotted claim path, custom name claim',
      claims: { iss: IDP, sub: 'u3', given: 'Carol', realm_access: { roles: ['mcp-admin'] }, exp: EXP },
      mapping: { ...defaultOidcMapping(IDP), rolesClaim: 'realm_access.roles', nameClaim: 'given' },
      principal: { type: 'user', id: 'u3', name: 'Carol', tenant: IDP, groups: [], roles: ['mcp-admin'], scopes: [], client_id: '', issuer: IDP, expires_at: EXP },
    },
    {
      name: 'GitHub Actions: an app by default, sub names the workflow ref',
      claims: { iss: githubActionsIssuer, sub: 'repo:contoso/agents:ref:refs/heads/main', repository_owner: 'contoso', exp: EXP },
      mapping: { ...defaultOidcMapping(githubActionsIssuer), tenantClaim: 'repository_owner' },
      principal: { type: 'app', id: 'repo:contoso/agents:ref:refs/heads/main', name: 'repo:contoso/agents:ref:refs/heads/main', tenant: 'contoso', groups: [], roles: [], scopes: [], client_id: '', issuer: githubActionsIssuer, expires_at: EXP },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(mapOidcClaims(c.claims, c.mapping), c.principal);
    });
  }

  describe('principal type rules (first match wins, else the default)', () => {
    const mapping: OidcClaimMapping = {
      ...defaultOidcMapping(IDP),
      typeRules: [
        { claim: 'client_credentials', equals: 'true', type: 'app' },
        { claim: 'sub', prefix: 'svc-', type: 'app' },
        { claim: 'amr', equals: 'mfa', type: 'user' },
        { claim: 'machine', type: 'app' },
      ],
    };
    const cases: Array<{ name: string; claims: Record<string, unknown>; type: Principal['type'] }> = [
      { name: 'equals matches a boolean claim by its text', claims: { sub: 'x', client_credentials: true }, type: 'app' },
      { name: 'prefix on sub', claims: { sub: 'svc-backup' }, type: 'app' },
      { name: 'equals matches a member of a list claim', claims: { sub: 'x', amr: ['pwd', 'mfa'], machine: 1 }, type: 'user' },
      { name: 'presence rule', claims: { sub: 'x', machine: 'yes' }, type: 'app' },
      { name: 'no rule matches', claims: { sub: 'x' }, type: 'user' },
    ];
    for (const c of cases) {
      it(`${c.name} -> ${c.type}`, () => {
        assert.equal(mapOidcClaims({ iss: IDP, exp: EXP, ...c.claims }, mapping).type, c.type);
      });
    }
  });

  it('refuses a token without the id claim or exp', () => {
    assert.throws(() => mapOidcClaims({ iss: IDP, exp: EXP }, defaultOidcMapping(IDP)), { code: 'REGATE_ERR_AUTH_CLAIMS' });
    assert.throws(() => mapOidcClaims({ iss: IDP, sub: 'x' }, defaultOidcMapping(IDP)), { code: 'REGATE_ERR_AUTH_CLAIMS' });
  });
});
