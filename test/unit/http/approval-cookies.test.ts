import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { cookiesOf } from '../../../src/http/approval-pages/sessions.ts';

describe('approval page cookies', () => {
  const req = (cookie: string) => ({ headers: { cookie } }) as IncomingMessage;

  it('reads regate\'s cookies, the first value winning', () => {
    const c = cookiesOf(req('regate_approvals=abc_-1; other=x; regate_approvals=second'));
    assert.equal(c.get('regate_approvals'), 'abc_-1');
    assert.equal(c.get('other'), 'x');
  });

  it('skips another application\'s cookie that does not decode, instead of failing the page', () => {
    const c = cookiesOf(req('theirs=%E0%A4%A; regate_approvals=abc'));
    assert.equal(c.has('theirs'), false);
    assert.equal(c.get('regate_approvals'), 'abc');
  });
});
