import assert from 'node:assert/strict';
import { isAuthorizedBearer } from '../../../src/demo/bearer.ts';

describe('isAuthorizedBearer', () => {
  const expected = 'demo-upstream-secret';
  const cases = [
    { name: 'the exact credential', header: 'Bearer demo-upstream-secret', ok: true },
    { name: 'a lower-case scheme', header: 'bearer demo-upstream-secret', ok: true },
    { name: 'no header', header: undefined, ok: false },
    { name: 'an empty header', header: '', ok: false },
    { name: 'another token', header: 'Bearer agent-token', ok: false },
    { name: 'a prefix of the credential', header: 'Bearer demo-upstream', ok: false },
    { name: 'the credential plus more', header: 'Bearer demo-upstream-secret2', ok: false },
    { name: 'another scheme', header: 'Basic demo-upstream-secret', ok: false },
    { name: 'the bare token without a scheme', header: 'demo-upstream-secret', ok: false },
    { name: 'two tokens', header: 'Bearer demo-upstream-secret other', ok: false },
  ];
  for (const c of cases) {
    it(`${c.ok ? 'accepts' : 'rejects'} ${c.name}`, () => assert.equal(isAuthorizedBearer(c.header, expected), c.ok));
  }

  it('rejects everything when no credential is configured', () => {
    assert.equal(isAuthorizedBearer('Bearer ', ''), false);
  });
});
