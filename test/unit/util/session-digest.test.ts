import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sessionDigest } from '../../../src/util/session-digest.ts';

describe('util: the digest that stands for a session id in store keys', () => {
  const ids = ['0c6f4a2e-9d1b-4c8e-a7f3-5b2d1e0f9a64', 'é-session-\ud83d\ude00', '', 'x'.repeat(1000)];
  for (const id of ids) {
    it(`is the SHA-256 of the id as base64url, the first time and when remembered (${JSON.stringify(id.slice(0, 20))})`, () => {
      const expected = createHash('sha256').update(id).digest('base64url');
      assert.equal(sessionDigest(id), expected);
      assert.equal(sessionDigest(id), expected);
    });
  }

  it('stays right after more ids than it remembers', () => {
    for (let i = 0; i < 10_050; i++) sessionDigest(`s-${i}`);
    assert.equal(sessionDigest('s-3'), createHash('sha256').update('s-3').digest('base64url'));
  });
});
