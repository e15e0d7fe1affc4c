import assert from 'node:assert/strict';
import { authConfigSchema } from '../../../src/identity/config.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

/** The messages of a failed parse, as "path: message" lines. */
function problems(input: unknown): string[] {
  const r = authConfigSchema.safeParse(input);
  assert.equal(r.success, false, 'expected the config to be rejected');
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('auth config schema', () => {
  describe('entra', () => {
    it('fills the documented defaults', () => {
      const cfg = authConfigSchema.parse({ provider: 'entra', tenant_id: TENANT, audience: [CLIENT] });
      assert.equal(cfg.provider, 'entra');
      if (cfg.provider !== 'entra') return;
      assert.equal(cfg.accept_v1, true);
      assert.equal(cfg.clock_skew_seconds, 300);
      assert.equal(cfg.authority_host, 'https://login.microsoftonline.com');
      assert.deepEqual(cfg.groups_overage, {
        enabled: true, graph_url: 'https://graph.microsoft.com', cache_seconds: 300, max_entries: 10_000,
        security_enabled_only: true, timeout_seconds: 5,
      });
      assert.deepEqual(cfg.jwks, { cooldown_seconds: 30, cache_max_age_seconds: 600, timeout_seconds: 5 });
      assert.deepEqual(cfg.token_cache, { max_entries: 10_000 });
    });

    const aliasCases: Array<{ name: string; input: Record<string, unknown>; expect: Record<string, unknown> }> = [
      {
        name: 'clientID joins audience, a string audience becomes a list',
        input: { tenant_id: TENANT, clientID: CLIENT, audience: 'api://regate' },
        expect: { audience: [CLIENT, 'api://regate'] },
      },
      {
        name: 'identityMetadata names the metadata and, when tenant_id is absent, the tenant',
        input: { clientID: CLIENT, identityMetadata: `https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration` },
        expect: { tenant_id: TENANT, identity_metadata: `https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration` },
      },
      { name: 'clockSkew is clock_skew_seconds', input: { tenant_id: TENANT, clientID: CLIENT, clockSkew: 120 }, expect: { clock_skew_seconds: 120 } },
      {
        name: 'issuer (one string) becomes issuers',
        input: { tenant_id: TENANT, clientID: CLIENT, issuer: `https://login.microsoftonline.us/${TENANT}/v2.0` },
        expect: { issuers: [`https://login.microsoftonline.us/${TENANT}/v2.0`] },
      },
      {
        name: 'validateIssuer: false is validate_issuer: false (multi-tenant, any tenant)',
        input: { tenant_id: 'common', clientID: CLIENT, validateIssuer: false },
        expect: { validate_issuer: false },
      },
    ];
    for (const c of aliasCases) {
      it(`accepts passport-azure-ad names: ${c.name}`, () => {
        const cfg = authConfigSchema.parse({ provider: 'entra', ...c.input }) as Record<string, unknown>;
        for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(cfg[k], v, k);
      });
    }

    const rejected: Array<{ name: string; input: Record<string, unknown>; message: RegExp }> = [
      { name: 'an alias and its key with different values', input: { tenant_id: TENANT, audience: [CLIENT], clockSkew: 10, clock_skew_seconds: 20 }, message: /clockSkew: clockSkew is passport-azure-ad's name for clock_skew_seconds/ },
      { name: 'multi-tenant without an allowlist or validate_issuer: false', input: { tenant_id: 'organizations', audience: [CLIENT] }, message: /tenants: .*list them in tenants, or set validate_issuer: false/ },
      { name: 'an allowlist on a single-tenant API', input: { tenant_id: TENANT, tenants: [TENANT], audience: [CLIENT] }, message: /tenants: tenants is only for/ },
      { name: 'validate_issuer: false on a single-tenant API', input: { tenant_id: TENANT, validate_issuer: false, audience: [CLIENT] }, message: /validate_issuer: validate_issuer: false is only for/ },
      { name: 'a tenant domain instead of its id', input: { tenant_id: 'contoso.onmicrosoft.com', audience: [CLIENT] }, message: /tenant_id: a tenant id \(GUID\), organizations or common/ },
      { name: 'no audience', input: { tenant_id: TENANT }, message: /audience/ },
      { name: 'an http key set', input: { tenant_id: TENANT, audience: [CLIENT], jwks_uri: 'http://keys.example' }, message: /jwks_uri: an https:\/\/ URL/ },
      { name: 'a typo', input: { tenant_id: TENANT, audience: [CLIENT], acept_v1: false }, message: /Unrecognized key: "acept_v1"/ },
    ];
    for (const c of rejected) {
      it(`rejects ${c.name}`, () => {
        assert.match(problems({ provider: 'entra', ...c.input }).join('\n'), c.message);
      });
    }
  });

  describe('oidc', () => {
    it('defaults to RS256 and ES256, the groups and roles claims, and sub as the id', () => {
      const cfg = authConfigSchema.parse({ provider: 'oidc', issuer: 'https://idp.example', audience: 'regate' });
      assert.equal(cfg.provider, 'oidc');
      if (cfg.provider !== 'oidc') return;
      assert.deepEqual(cfg.algorithms, ['RS256', 'ES256']);
      assert.deepEqual([cfg.groups_claim, cfg.roles_claim, cfg.id_claim], ['groups', 'roles', 'sub']);
      assert.deepEqual(cfg.audience, ['regate']);
    });

    it('never accepts a symmetric algorithm or none', () => {
      for (const alg of ['HS256', 'none']) {
        assert.match(problems({ provider: 'oidc', issuer: 'https://idp.example', audience: ['x'], algorithms: [alg] }).join(), /HS\* and none are never accepted/);
      }
    });

    it('rejects a principal_type rule with both equals and prefix', () => {
      const input = { provider: 'oidc', issuer: 'https://idp.example', audience: ['x'], principal_type: { rules: [{ claim: 'sub', equals: 'a', prefix: 'b', type: 'app' }] } };
      assert.match(problems(input).join(), /give equals or prefix, not both/);
    });
  });

  describe('dev', () => {
    it('is refused unless dev.enabled is set to true explicitly', () => {
      assert.match(problems({ provider: 'dev' }).join(), /dev/);
      assert.match(problems({ provider: 'dev', dev: {} }).join(), /dev.enabled: provider dev needs dev.enabled: true/);
      assert.match(problems({ provider: 'dev', dev: { enabled: false } }).join(), /dev.enabled: provider dev needs dev.enabled: true/);
    });

    it('keeps its key in data/ by default, or nowhere with key_file: null', () => {
      const cfg = authConfigSchema.parse({ provider: 'dev', dev: { enabled: true } });
      assert.deepEqual(cfg.dev, { enabled: true, key_file: 'data/dev-auth-key.json', token_ttl_seconds: 3600 });
      const eph = authConfigSchema.parse({ provider: 'dev', dev: { enabled: true, key_file: null } });
      assert.equal(eph.dev?.key_file, null);
    });

    it('tolerates a disabled dev block under another provider', () => {
      const cfg = authConfigSchema.parse({ provider: 'oidc', issuer: 'https://idp.example', audience: ['x'], dev: { enabled: false } });
      assert.equal(cfg.provider, 'oidc');
    });
  });

  it('rejects an unknown provider', () => {
    assert.match(problems({ provider: 'saml' }).join(), /provider/);
  });
});
