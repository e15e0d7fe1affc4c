import assert from 'node:assert/strict';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { verifyJwt, type VerifyOptions } from '../../../src/identity/jwt-verify.ts';

describe('verifyJwt', () => {
  let rsa: CryptoKey;
  let ec: CryptoKey;
  let keys: ReturnType<typeof createLocalJWKSet>;
  const now = 1_800_000_000_000;
  const options: VerifyOptions = { algorithms: ['RS256'], audience: ['api'], issuer: 'https://idp', clockSkewSeconds: 60, now };
  const claims = { iss: 'https://idp', aud: 'api', sub: 's', exp: now / 1000 + 300 };

  before(async () => {
    const r = await generateKeyPair('RS256', { extractable: true });
    const e = await generateKeyPair('ES256', { extractable: true });
    rsa = r.privateKey;
    ec = e.privateKey;
    const jwks: JWK[] = [
      { ...(await exportJWK(r.publicKey)), kid: 'r1', alg: 'RS256' },
      { ...(await exportJWK(e.publicKey)), kid: 'e1', alg: 'ES256' },
    ];
    keys = createLocalJWKSet({ keys: jwks });
  });

  const sign = (c: Record<string, unknown>, alg: 'RS256' | 'ES256' = 'RS256') =>
    new SignJWT(c).setProtectedHeader({ alg, kid: alg === 'RS256' ? 'r1' : 'e1' }).sign(alg === 'RS256' ? rsa : ec);

  it('returns the payload of a valid token', async () => {
    assert.equal((await verifyJwt(await sign(claims), keys, options)).sub, 's');
  });

  it('refuses an algorithm outside the configured list before looking up any key', async () => {
    let lookedUp = false;
    const spy: typeof keys = (async (h, t) => {
      lookedUp = true;
      return keys(h, t);
    }) as typeof keys;
    await assert.rejects(verifyJwt(await sign(claims, 'ES256'), spy, options), { code: 'REGATE_ERR_AUTH_ALG_NOT_ALLOWED' });
    assert.equal(lookedUp, false);
  });

  const clockCases: Array<{ name: string; patch: Record<string, unknown>; code?: string }> = [
    { name: 'exp just inside the skew', patch: { exp: now / 1000 - 59 } },
    { name: 'exp just outside the skew', patch: { exp: now / 1000 - 61 }, code: 'REGATE_ERR_AUTH_EXPIRED' },
    { name: 'nbf just inside the skew', patch: { nbf: now / 1000 + 59 } },
    { name: 'nbf just outside the skew', patch: { nbf: now / 1000 + 61 }, code: 'REGATE_ERR_AUTH_NOT_YET_VALID' },
    { name: 'a non-numeric exp', patch: { exp: 'tomorrow' }, code: 'REGATE_ERR_AUTH_CLAIMS' },
    { name: 'no iss', patch: { iss: undefined }, code: 'REGATE_ERR_AUTH_ISSUER' },
  ];
  for (const c of clockCases) {
    it(`${c.name}: ${c.code ?? 'accepted'}`, async () => {
      const p = verifyJwt(await sign({ ...claims, ...c.patch }), keys, options);
      if (c.code === undefined) await p;
      else await assert.rejects(p, { code: c.code });
    });
  }
});
