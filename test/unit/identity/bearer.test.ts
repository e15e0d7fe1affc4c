import assert from 'node:assert/strict';
import { extractBearerToken, hasQueryToken, type HeaderBag } from '../../../src/identity/bearer.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

describe('bearer token extraction', () => {
  const cases: Array<{ name: string; headers: HeaderBag; url?: string; result: string }> = [
    { name: 'a Bearer header', headers: { authorization: `Bearer ${JWT}` }, result: JWT },
    { name: 'the scheme in any case, extra spaces', headers: { authorization: `bearer   ${JWT} ` }, result: JWT },
    { name: 'no Authorization header', headers: {}, result: 'REGATE_ERR_AUTH_MISSING' },
    { name: 'an empty Authorization header', headers: { authorization: '' }, result: 'REGATE_ERR_AUTH_MISSING' },
    { name: 'another scheme', headers: { authorization: 'Basic YWxpY2U6cGFzcw==' }, result: 'REGATE_ERR_AUTH_MISSING' },
    { name: 'Bearer with no token', headers: { authorization: 'Bearer' }, result: 'REGATE_ERR_AUTH_MALFORMED' },
    { name: 'Bearer with two tokens', headers: { authorization: `Bearer ${JWT} ${JWT}` }, result: 'REGATE_ERR_AUTH_MALFORMED' },
    { name: 'characters outside b64token', headers: { authorization: 'Bearer abc"def' }, result: 'REGATE_ERR_AUTH_MALFORMED' },
    { name: 'two Authorization headers', headers: { authorization: [`Bearer ${JWT}`, `Bearer ${JWT}`] }, result: 'REGATE_ERR_AUTH_MALFORMED' },
    { name: 'a token in the query string', headers: {}, url: `/mcp/crm?access_token=${JWT}`, result: 'REGATE_ERR_AUTH_QUERY_TOKEN' },
    { name: 'a query token next to a valid header', headers: { authorization: `Bearer ${JWT}` }, url: `/mcp/crm?x=1&access_token=${JWT}`, result: 'REGATE_ERR_AUTH_QUERY_TOKEN' },
    { name: 'a query token in another case', headers: { authorization: `Bearer ${JWT}` }, url: '/mcp/crm?Access_Token=x', result: 'REGATE_ERR_AUTH_QUERY_TOKEN' },
    { name: 'other query parameters', headers: { authorization: `Bearer ${JWT}` }, url: '/mcp/crm?session=1&token_hint=2', result: JWT },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.result === JWT ? 'the token' : c.result}`, () => {
      let result: string;
      try {
        result = extractBearerToken(c.headers, c.url ?? '/mcp/crm');
      } catch (err) {
        result = (err as { code: string }).code;
      }
      assert.equal(result, c.result);
    });
  }

  it('does not mistake a fragment or path for a query token', () => {
    assert.equal(hasQueryToken('/mcp/access_token'), false);
    assert.equal(hasQueryToken('/mcp/crm?a=1#access_token=x'), false);
  });
});
