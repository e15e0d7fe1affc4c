import assert from 'node:assert/strict';
import { RegateError } from '../../../src/errors.ts';
import { OidcSignIn } from '../../../src/http/approval-pages/oidc-signin.ts';
import { authConfigSchema } from '../../../src/identity/config.ts';
import type { SignInAuth } from '../../../src/http/approval-pages/signin-principal.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';

const auth = authConfigSchema.parse({ provider: 'oidc', issuer: 'https://id.example.com', audience: ['regate'] }) as SignInAuth;
const signin = { client_id: 'page', client_secret: 'secret', scopes: ['openid'] };

function signIn(fetchImpl: (url: string) => Promise<Response>) {
  return new OidcSignIn({ auth, signin, redirectUrl: () => 'http://127.0.0.1:8080/approvals/callback', store: new MemoryStore({}), fetch: fetchImpl });
}

const isCode = (code: string) => (e: unknown) => e instanceof RegateError && e.code === code;

/** What the sign-in refuses before it ever talks to the issuer, and how it fails when it cannot. */
describe('OidcSignIn', () => {
  it('answers 503 when discovery fails, and tries discovery again on the next sign-in', async () => {
    let calls = 0;
    const s = signIn(async () => {
      calls++;
      throw new TypeError('fetch failed');
    });
    await assert.rejects(s.start(undefined), isCode('REGATE_ERR_APPROVAL_SIGNIN_UNAVAILABLE'));
    await assert.rejects(s.start(undefined), isCode('REGATE_ERR_APPROVAL_SIGNIN_UNAVAILABLE'));
    assert.equal(calls, 2);
  });

  const refusals: Array<[string, string, string | undefined]> = [
    ['no state in the answer', 'code=abc', 'x'.repeat(43)],
    ['no state cookie (another browser)', `code=abc&state=${'s'.repeat(43)}`, undefined],
    ['state differs from the cookie', `code=abc&state=${'s'.repeat(43)}`, 't'.repeat(43)],
    ['state matches but was never started here', `code=abc&state=${'s'.repeat(43)}`, 's'.repeat(43)],
  ];
  for (const [name, query, cookie] of refusals) {
    it(`refuses the callback (400) when ${name}, without calling the issuer`, async () => {
      let calls = 0;
      const s = signIn(async () => {
        calls++;
        return new Response('{}');
      });
      await assert.rejects(s.finish(new URLSearchParams(query), cookie), isCode('REGATE_ERR_APPROVAL_SIGNIN_STATE'));
      assert.equal(calls, 0);
    });
  }
});
