import assert from 'node:assert/strict';
import { checkEntraIssuer, hasGroupsOverage, mapEntraClaims, type EntraIssuerPolicy } from '../../../src/identity/entra-claims.ts';
import type { Principal } from '../../../src/identity/principal.ts';
import { checkRequirements } from '../../../src/identity/requirements.ts';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const V2 = `https://login.microsoftonline.com/${TID}/v2.0`;
const V1 = `https://sts.windows.net/${TID}/`;
const OID = '00000000-0000-0000-66f3-3332eca7ea81';
const CLIENT = 'b1a2c3d4-0000-4000-8000-00000000a9e7';
const EXP = 1_900_000_000;

describe('Entra claims -> Principal', () => {
  const cases: Array<{ name: string; claims: Record<string, unknown>; principal: Principal }> = [
    {
      name: 'v2.0 user token: preferred_username, azp, scp, groups',
      claims: { ver: '2.0', iss: V2, tid: TID, oid: OID, sub: 'pairwise', azp: CLIENT, scp: 'mcp.call mcp.read', preferred_username: 'alice@contoso.example', name: 'Alice', groups: ['g1', 'g2'], roles: ['Reader'], exp: EXP },
      principal: { type: 'user', id: OID, name: 'alice@contoso.example', tenant: TID, groups: ['g1', 'g2'], roles: ['Reader'], scopes: ['mcp.call', 'mcp.read'], client_id: CLIENT, issuer: V2, expires_at: EXP },
    },
    {
      name: 'v1.0 user token: upn wins over unique_name, appid is the client',
      claims: { ver: '1.0', iss: V1, tid: TID, oid: OID, appid: CLIENT, scp: 'user_impersonation', upn: 'alice@contoso.example', unique_name: 'live.com#alice@outlook.example', groups: ['g1'], exp: EXP },
      principal: { type: 'user', id: OID, name: 'alice@contoso.example', tenant: TID, groups: ['g1'], roles: [], scopes: ['user_impersonation'], client_id: CLIENT, issuer: V1, expires_at: EXP },
    },
    {
      name: 'v1.0 guest user without upn: unique_name',
      claims: { ver: '1.0', iss: V1, tid: TID, oid: OID, appid: CLIENT, scp: 'user_impersonation', unique_name: 'live.com#guest@outlook.example', exp: EXP },
      principal: { type: 'user', id: OID, name: 'live.com#guest@outlook.example', tenant: TID, groups: [], roles: [], scopes: ['user_impersonation'], client_id: CLIENT, issuer: V1, expires_at: EXP },
    },
    {
      name: 'v2.0 app-only token marked idtyp=app, with roles',
      claims: { ver: '2.0', iss: V2, tid: TID, oid: 'sp-oid', sub: 'sp-oid', azp: CLIENT, idtyp: 'app', roles: ['MCP.Invoke'], exp: EXP },
      principal: { type: 'app', id: 'sp-oid', name: CLIENT, tenant: TID, groups: [], roles: ['MCP.Invoke'], scopes: [], client_id: CLIENT, issuer: V2, expires_at: EXP },
    },
    {
      name: 'v1.0 app-only token without idtyp: no scp means app; app_displayname names it',
      claims: { ver: '1.0', iss: V1, tid: TID, oid: 'sp-oid', appid: CLIENT, app_displayname: 'nightly-agent', roles: ['MCP.Invoke'], exp: EXP },
      principal: { type: 'app', id: 'sp-oid', name: 'nightly-agent', tenant: TID, groups: [], roles: ['MCP.Invoke'], scopes: [], client_id: CLIENT, issuer: V1, expires_at: EXP },
    },
    {
      name: 'app-only token with no roles at all (Entra issues these)',
      claims: { ver: '2.0', iss: V2, tid: TID, oid: 'sp-oid', azp: CLIENT, exp: EXP },
      principal: { type: 'app', id: 'sp-oid', name: CLIENT, tenant: TID, groups: [], roles: [], scopes: [], client_id: CLIENT, issuer: V2, expires_at: EXP },
    },
    {
      name: 'idtyp=user wins even without scp; upper-case tid is normalised',
      claims: { ver: '2.0', iss: V2, tid: TID.toUpperCase(), oid: OID, azp: CLIENT, idtyp: 'user', email: 'alice@contoso.example', exp: EXP },
      principal: { type: 'user', id: OID, name: 'alice@contoso.example', tenant: TID, groups: [], roles: [], scopes: [], client_id: CLIENT, issuer: V2, expires_at: EXP },
    },
    {
      name: 'claims of the wrong type read as absent',
      claims: { ver: '2.0', iss: V2, tid: TID, oid: OID, azp: 42, scp: 'mcp.call', groups: 'not-a-list', roles: [1, 'Reader', null], exp: EXP },
      principal: { type: 'user', id: OID, name: OID, tenant: TID, groups: ['not-a-list'], roles: ['Reader'], scopes: ['mcp.call'], client_id: '', issuer: V2, expires_at: EXP },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(mapEntraClaims(c.claims).principal, c.principal);
    });
  }

  it('refuses tokens without oid, tid or exp', () => {
    for (const missing of ['oid', 'tid', 'exp']) {
      const claims: Record<string, unknown> = { iss: V2, tid: TID, oid: OID, scp: 'x', exp: EXP };
      delete claims[missing];
      assert.throws(() => mapEntraClaims(claims), { code: 'REGATE_ERR_AUTH_CLAIMS' }, missing);
    }
  });

  describe('groups overage', () => {
    const overageCases: Array<{ name: string; claims: Record<string, unknown>; overage: boolean }> = [
      { name: '_claim_names.groups', claims: { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.windows.net/x' } } }, overage: true },
      { name: 'hasgroups: true', claims: { hasgroups: true }, overage: true },
      { name: 'a groups array', claims: { groups: ['g1'] }, overage: false },
      { name: 'a groups array next to _claim_names (the array wins)', claims: { groups: ['g1'], _claim_names: { groups: 'src1' } }, overage: false },
      { name: 'nothing', claims: {}, overage: false },
      { name: 'hasgroups: "true" (a string, not the documented boolean)', claims: { hasgroups: 'true' }, overage: false },
    ];
    for (const c of overageCases) {
      it(`${c.overage ? 'detects' : 'does not detect'} overage from ${c.name}`, () => {
        assert.equal(hasGroupsOverage(c.claims), c.overage);
      });
    }

    it('names the user or service principal to look up', () => {
      const user = mapEntraClaims({ iss: V2, tid: TID, oid: OID, scp: 'x', hasgroups: true, exp: EXP });
      assert.deepEqual(user.overage, { kind: 'user', id: OID, tenant: TID });
      const app = mapEntraClaims({ iss: V2, tid: TID, oid: 'sp-oid', idtyp: 'app', hasgroups: true, exp: EXP });
      assert.deepEqual(app.overage, { kind: 'servicePrincipal', id: 'sp-oid', tenant: TID });
    });
  });
});

describe('Entra issuer and tenant check', () => {
  const single: EntraIssuerPolicy = { tenants: new Set([TID]), acceptV1: true };
  const cases: Array<{ name: string; claims: Record<string, unknown>; policy: EntraIssuerPolicy; result: string }> = [
    { name: 'v2 issuer of the allowed tenant', claims: { iss: V2, tid: TID }, policy: single, result: TID },
    { name: 'v1 issuer of the allowed tenant', claims: { iss: V1, tid: TID }, policy: single, result: TID },
    { name: 'v1 issuer when v1 is off', claims: { iss: V1, tid: TID }, policy: { ...single, acceptV1: false }, result: 'REGATE_ERR_AUTH_ISSUER' },
    { name: 'a foreign issuer', claims: { iss: 'https://evil.example/', tid: TID }, policy: single, result: 'REGATE_ERR_AUTH_ISSUER' },
    { name: "an issuer for another tenant than tid", claims: { iss: `https://login.microsoftonline.com/${OTHER}/v2.0`, tid: TID }, policy: single, result: 'REGATE_ERR_AUTH_ISSUER' },
    { name: 'the templated issuer of the common metadata', claims: { iss: 'https://login.microsoftonline.com/{tenantid}/v2.0', tid: TID }, policy: single, result: 'REGATE_ERR_AUTH_ISSUER' },
    { name: 'a consistent issuer of a tenant not allowed', claims: { iss: `https://login.microsoftonline.com/${OTHER}/v2.0`, tid: OTHER }, policy: single, result: 'REGATE_ERR_AUTH_TENANT' },
    { name: 'any tenant (validate_issuer: false), issuer still bound to tid', claims: { iss: `https://sts.windows.net/${OTHER}/`, tid: OTHER }, policy: { tenants: 'any', acceptV1: true }, result: OTHER },
    { name: 'explicit issuer list (sovereign cloud)', claims: { iss: `https://login.microsoftonline.us/${TID}/v2.0`, tid: TID }, policy: { ...single, issuers: [`https://login.microsoftonline.us/${TID}/v2.0`] }, result: TID },
    { name: 'public-cloud issuer with an explicit list that lacks it', claims: { iss: V2, tid: TID }, policy: { ...single, issuers: [`https://login.microsoftonline.us/${TID}/v2.0`] }, result: 'REGATE_ERR_AUTH_ISSUER' },
    { name: 'no tid', claims: { iss: V2 }, policy: single, result: 'REGATE_ERR_AUTH_CLAIMS' },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.result}`, () => {
      let result: string;
      try {
        result = checkEntraIssuer(c.claims, c.policy);
      } catch (err) {
        result = (err as { code: string }).code;
      }
      assert.equal(result, c.result);
    });
  }
});

describe('required scope and app role', () => {
  const user = mapEntraClaims({ iss: V2, tid: TID, oid: OID, scp: 'mcp.read', exp: EXP }).principal;
  const app = mapEntraClaims({ iss: V2, tid: TID, oid: 'sp', idtyp: 'app', roles: ['MCP.Invoke'], exp: EXP }).principal;
  const cases: Array<{ name: string; principal: Principal; req: { requiredScope?: string; requiredAppRole?: string }; ok: boolean }> = [
    { name: 'user with the scope', principal: user, req: { requiredScope: 'mcp.read' }, ok: true },
    { name: 'user without the scope', principal: user, req: { requiredScope: 'mcp.call' }, ok: false },
    { name: 'user is not held to the app role', principal: user, req: { requiredAppRole: 'MCP.Invoke' }, ok: true },
    { name: 'app with the role', principal: app, req: { requiredAppRole: 'MCP.Invoke' }, ok: true },
    { name: 'app without the role', principal: app, req: { requiredAppRole: 'MCP.Admin' }, ok: false },
    { name: 'app is not held to the delegated scope', principal: app, req: { requiredScope: 'mcp.call' }, ok: true },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.ok ? 'passes' : '403'}`, () => {
      if (c.ok) checkRequirements(c.principal, c.req);
      else assert.throws(() => checkRequirements(c.principal, c.req), { code: 'REGATE_ERR_AUTH_INSUFFICIENT_SCOPE', status: 403 });
    });
  }
});
