import assert from 'node:assert/strict';
import { capText, ECHO_LIMIT } from '../../../src/text/cap.ts';

describe('network text echoed into logs and errors is capped', () => {
  it('leaves short text as it is', () => assert.equal(capText('tools/call'), 'tools/call'));
  it('keeps the first characters and says how many were cut', () => {
    const capped = capText('m'.repeat(1_000_000));
    assert.equal(capped, `${'m'.repeat(ECHO_LIMIT)}...[${1_000_000 - ECHO_LIMIT} more characters]`);
  });
  it('takes an explicit limit', () => assert.equal(capText('abcdef', 3), 'abc...[3 more characters]'));
});
