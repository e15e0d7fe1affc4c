import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { mintTokenCommand, splitList } from '../../../src/cli/token.ts';
import { authConfigSchema } from '../../../src/identity/config.ts';
import { createDevProvider, createIdentity } from '../../../src/identity/create.ts';

interface Warning {
  obj: Record<string, unknown>;
  msg: string;
}

describe('dev provider', () => {
  let dir: string;
  let warnings: Warning[];
  const logger = { warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }) };
  const devConfig = (dev: Record<string, unknown> = {}) => authConfigSchema.parse({ provider: 'dev', dev: { enabled: true, ...dev } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regate-dev-'));
    warnings = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a private key file (0600) under data/ on first use and reuses it', async () => {
    const first = await createDevProvider(devConfig(), { logger, baseDir: dir });
    const file = join(dir, 'data', 'dev-auth-key.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const jwk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual([jwk['kty'], jwk['crv'], typeof jwk['d']], ['EC', 'P-256', 'string']);
    // A second process (here: a second provider) validates what the first minted.
    const token = await first.mint({ sub: 'alice' });
    const second = await createDevProvider(devConfig(), { logger, baseDir: dir });
    assert.equal((await second.validate(token)).id, 'alice');
  });

  it('mints tokens that become the requested principal', async () => {
    const dev = await createDevProvider(devConfig({ key_file: null }), { logger });
    const user = await dev.validate(await dev.mint({ sub: 'alice', name: 'Alice', groups: ['finance'], roles: ['Reader'], scopes: ['mcp.call'] }));
    assert.deepEqual(
      { type: user.type, id: user.id, name: user.name, tenant: user.tenant, groups: user.groups, roles: user.roles, scopes: user.scopes, issuer: user.issuer },
      { type: 'user', id: 'alice', name: 'Alice', tenant: 'dev', groups: ['finance'], roles: ['Reader'], scopes: ['mcp.call'], issuer: 'urn:regate:dev' },
    );
    const app = await dev.validate(await dev.mint({ sub: 'nightly', type: 'app', roles: ['MCP.Invoke'] }));
    assert.deepEqual([app.type, app.scopes], ['app', []]);
  });

  it('signs short-lived ES256 tokens and refuses lifetimes above the configured maximum', async () => {
    const dev = await createDevProvider(devConfig({ key_file: null, token_ttl_seconds: 600 }), { logger });
    const token = await dev.mint({ sub: 'alice' });
    const claims = decodeJwt(token);
    assert.equal(decodeProtectedHeader(token).alg, 'ES256');
    assert.equal((claims.exp as number) - (claims.iat as number), 600);
    await assert.rejects(dev.mint({ sub: 'alice', ttlSeconds: 601 }), { code: 'REGATE_ERR_CONFIG_INVALID' });
  });

  it("does not accept another dev key's tokens", async () => {
    const mine = await createDevProvider(devConfig({ key_file: null }), { logger });
    const theirs = await createDevProvider(devConfig({ key_file: null }), { logger });
    await assert.rejects(mine.validate(await theirs.mint({ sub: 'mallory' })), { code: 'REGATE_ERR_AUTH_SIGNATURE' });
  });

  it('warns loudly every time it is constructed', async () => {
    await createIdentity(devConfig({ key_file: null }), { logger, publicBaseUrl: 'http://127.0.0.1:8080' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /^DEV AUTHENTICATION IS ENABLED/);
    assert.equal(warnings[0]!.obj['auth_provider'], 'dev');
  });

  it('authenticates minted tokens through the identity layer, and names no authorization server', async () => {
    const identity = await createIdentity(devConfig({ key_file: null }), { logger, publicBaseUrl: 'http://127.0.0.1:8080' });
    const token = await identity.dev!.mint({ sub: 'alice', groups: ['g'] });
    assert.deepEqual((await identity.authenticate({ authorization: `Bearer ${token}` }, '/mcp/demo')).groups, ['g']);
    assert.deepEqual(identity.metadata('demo'), { resource: 'http://127.0.0.1:8080/mcp/demo', bearer_methods_supported: ['header'] });
  });
});

describe('regate token (mintTokenCommand)', () => {
  let dir: string;
  const warnings: Warning[] = [];
  const logger = { warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }) };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regate-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('mints a token that regate serve (same config, same key file) accepts', async () => {
    const auth = authConfigSchema.parse({ provider: 'dev', dev: { enabled: true } });
    const token = await mintTokenCommand(auth, { sub: 'alice', groups: 'finance,support', roles: ['Reader'], ttl: '300' }, { logger, baseDir: dir });
    const identity = await createIdentity(auth, { logger, baseDir: dir, publicBaseUrl: 'http://127.0.0.1:8080' });
    const p = await identity.authenticate({ authorization: `Bearer ${token}` }, '/mcp/demo');
    assert.deepEqual([p.id, p.groups, p.roles], ['alice', ['finance', 'support'], ['Reader']]);
  });

  const refused: Array<{ name: string; auth: Record<string, unknown> }> = [
    { name: 'provider entra', auth: { provider: 'entra', tenant_id: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: ['x'] } },
    { name: 'provider oidc with a disabled dev block', auth: { provider: 'oidc', issuer: 'https://idp.example', audience: ['x'], dev: { enabled: false } } },
    { name: 'provider oidc with an enabled dev block', auth: { provider: 'oidc', issuer: 'https://idp.example', audience: ['x'], dev: { enabled: true } } },
  ];
  for (const c of refused) {
    it(`is refused under ${c.name}`, async () => {
      await assert.rejects(mintTokenCommand(authConfigSchema.parse(c.auth), { sub: 'alice' }, { logger, baseDir: dir }), {
        code: 'REGATE_ERR_CONFIG_INVALID',
        message: /auth.provider: dev with auth.dev.enabled: true/,
      });
    });
  }

  it('splits comma-separated and repeated list options', () => {
    assert.deepEqual(splitList('a, b,,c'), ['a', 'b', 'c']);
    assert.deepEqual(splitList(['a,b', 'c']), ['a', 'b', 'c']);
    assert.deepEqual(splitList(undefined), []);
  });
});
