import assert from 'node:assert/strict';
import { CappedMemo } from '../../../src/util/capped-memo.ts';

describe('util: CappedMemo, a memo of a string function with a bounded footprint', () => {
  /** A memo of `key.length` that counts its computations. */
  const counting = (o?: { max?: number; maxKeyLength?: number }) => {
    let computed = 0;
    const memo = new CappedMemo((key) => (computed++, String(key.length)), o);
    return { memo, computed: () => computed };
  };

  it('computes a repeated key once', () => {
    const { memo, computed } = counting();
    assert.equal(memo.get('abc'), '3');
    assert.equal(memo.get('abc'), '3');
    assert.equal(computed(), 1);
    assert.equal(memo.size, 1);
  });

  it('computes a key longer than 256 characters every time, and never keeps it', () => {
    const { memo, computed } = counting();
    const long = 'x'.repeat(15_000);
    assert.equal(memo.get(long), '15000');
    assert.equal(memo.get(long), '15000');
    assert.equal(computed(), 2);
    assert.equal(memo.size, 0);
    assert.equal(memo.get('x'.repeat(256)), '256', 'up to 256 characters are kept');
    assert.equal(memo.size, 1);
  });

  it('never holds more than its maximum, and stays right past it', () => {
    const { memo } = counting({ max: 10 });
    for (let i = 0; i < 25; i++) assert.equal(memo.get('k'.repeat(i + 1)), String(i + 1));
    assert.ok(memo.size <= 10);
  });
});
