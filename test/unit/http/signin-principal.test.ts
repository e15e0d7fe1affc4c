import assert from 'node:assert/strict';
import { approvalsConfigSchema } from '../../../src/approvals/config.ts';
import { redactConfig } from '../../../src/config/redact.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { discoveryTarget, principalFromIdToken, safeReturnPath, signInAuth, type SignInAuth } from '../../../src/http/approval-pages/signin-principal.ts';
import { authConfigSchema } from '../../../src/identity/config.ts';
import { RegateError } from '../../../src/errors.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const OTHER = '99999999-2222-3333-4444-555555555555';
const entra = authConfigSchema.parse({ provider: 'entra', tenant_id: TENANT, audience: ['api://regate'] }) as SignInAuth;
const oidc = authConfigSchema.parse({ provider: 'oidc', issuer: 'https://id.example.com/realms/x', audience: ['regate'] }) as SignInAuth;
const EXP = 2_000_000_000;

/** An Entra v2.0 ID token's claims (no scp: ID tokens never carry one). */
const entraIdToken = (over: Record<string, unknown> = {}) => ({
  iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  aud: 'page-client-id',
  oid: 'a1b2c3d4-0000-0000-0000-000000000001',
  tid: TENANT,
  preferred_username: 'ada@contoso.com',
  name: 'Ada Lovelace',
  groups: ['mcp-approvers'],
  exp: EXP,
  ...over,
});

describe('approval page sign-in: issuer and principal', () => {
  describe('discoveryTarget', () => {
    const cases: Array<[string, SignInAuth, string]> = [
      ['Entra: the tenant v2.0 issuer under authority_host', entra, `https://login.microsoftonline.com/${TENANT}/v2.0`],
      ['Entra sovereign cloud', authConfigSchema.parse({ provider: 'entra', tenant_id: TENANT, audience: ['a'], authority_host: 'https://login.microsoftonline.us/' }) as SignInAuth, `https://login.microsoftonline.us/${TENANT}/v2.0`],
      ['OIDC: the issuer', oidc, 'https://id.example.com/realms/x'],
      ['OIDC: discovery_url when given', authConfigSchema.parse({ provider: 'oidc', issuer: 'https://id.example.com', discovery_url: 'https://meta.example.com/.well-known/openid-configuration', audience: ['a'] }) as SignInAuth, 'https://meta.example.com/.well-known/openid-configuration'],
    ];
    for (const [name, auth, want] of cases) it(name, () => assert.equal(discoveryTarget(auth).href, want));
  });

  it('signInAuth: dev auth has no OIDC sign-in', () => {
    assert.equal(signInAuth(authConfigSchema.parse({ provider: 'dev', dev: { enabled: true } })), undefined);
    assert.equal(signInAuth(oidc), oidc);
  });

  describe('safeReturnPath', () => {
    const cases: Array<[unknown, string]> = [
      ['/approvals', '/approvals'],
      [`/approvals/${'A'.repeat(43)}`, `/approvals/${'A'.repeat(43)}`],
      ['https://evil.example/approvals', '/approvals'],
      ['//evil.example/approvals', '/approvals'],
      ['/approvals/../admin', '/approvals'],
      ['/approvals/x?y=1', '/approvals'],
      ['/approvals/sign-in', '/approvals'],
      ['/approvals/callback', '/approvals'],
      [['/approvals/a'], '/approvals'],
      [undefined, '/approvals'],
    ];
    for (const [next, want] of cases) it(`${JSON.stringify(next)} -> ${want}`, () => assert.equal(safeReturnPath(next), want));
  });

  describe('principalFromIdToken', () => {
    it('maps an Entra ID token like a bearer token, as a user (oid, tid, preferred_username, groups)', () => {
      const p = principalFromIdToken(entra, entraIdToken());
      assert.deepEqual(
        [p.type, p.id, p.name, p.tenant, p.groups, p.expires_at],
        ['user', 'a1b2c3d4-0000-0000-0000-000000000001', 'ada@contoso.com', TENANT, ['mcp-approvers'], EXP],
      );
    });
    it('refuses an Entra ID token from another tenant', () => {
      assert.throws(() => principalFromIdToken(entra, entraIdToken({ tid: OTHER, iss: `https://login.microsoftonline.com/${OTHER}/v2.0` })), /not in the allowlist/);
    });
    it('refuses an Entra ID token whose groups overflowed (approver groups unknown)', () => {
      const { groups: _, ...rest } = entraIdToken();
      assert.throws(
        () => principalFromIdToken(entra, { ...rest, hasgroups: true }),
        (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_APPROVAL_SIGNIN_REFUSED' && /groups overage/.test(e.message),
      );
    });
    it('maps an OIDC ID token with the configured claim mapping, as a user', () => {
      const p = principalFromIdToken(oidc, { iss: 'https://id.example.com/realms/x', sub: 's-1', preferred_username: 'grace', groups: ['mcp-approvers'], exp: EXP });
      assert.deepEqual([p.type, p.id, p.name, p.tenant, p.groups], ['user', 's-1', 'grace', 'https://id.example.com/realms/x', ['mcp-approvers']]);
    });
  });

  describe('approvals.signin config', () => {
    it('defaults the scopes and leaves redirect_url to public_url', () => {
      const c = approvalsConfigSchema.parse({ signin: { client_id: 'c', client_secret: 's' } });
      assert.deepEqual(c.signin, { client_id: 'c', client_secret: 's', scopes: ['openid', 'profile', 'email'] });
    });
    it('refuses unknown keys and a missing secret', () => {
      assert.equal(approvalsConfigSchema.safeParse({ signin: { client_id: 'c', client_secret: 's', tenant: 'x' } }).success, false);
      assert.equal(approvalsConfigSchema.safeParse({ signin: { client_id: 'c' } }).success, false);
    });
    it('is refused with dev auth, which has its own sign-in form', () => {
      const doc = (auth: Record<string, unknown>) => ({ connections: [{ name: 'crm', url: 'http://127.0.0.1:3901/mcp' }], auth, approvals: { signin: { client_id: 'c', client_secret: 's' } } });
      const dev = configSchema.safeParse(doc({ provider: 'dev', dev: { enabled: true } }));
      assert.equal(dev.success, false);
      assert.match(JSON.stringify(dev.error?.issues), /needs auth.provider entra or oidc/);
      assert.equal(configSchema.safeParse(doc({ provider: 'oidc', issuer: 'https://id.example.com', audience: ['a'] })).success, true);
    });
    it('hides client_secret when the config is printed', () => {
      const shown = JSON.stringify(redactConfig({ approvals: { signin: { client_id: 'c', client_secret: 'hunter2-hunter2' } } }));
      assert.doesNotMatch(shown, /hunter2/);
      assert.match(shown, /"client_id":"c"/);
    });
  });
});
