import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/util/backoff.ts';

describe('util: retry backoff (shared by every retry loop)', () => {
  const middle = () => 0.5; // no jitter
  const table: [retries: number, expectedMs: number][] = [
    [0, 0],
    [1, 1600],
    [2, 2560],
    [3, 4096],
    [10, 109951],
    [11, 120000],
    [50, 120000],
  ];
  for (const [retries, expected] of table) {
    it(`waits ${expected} ms before retry ${retries} (base 1 s, factor 1.6, cap 120 s)`, () => {
      assert.equal(backoffDelay(retries, DEFAULT_BACKOFF, middle), expected);
    });
  }

  it('spreads retries by +/-10% jitter', () => {
    assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0), Math.round(4096 * 0.9));
    assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999), Math.round(4096 * 1.099999799));
  });

  it('honours its options', () => {
    assert.equal(backoffDelay(2, { baseMs: 10, maxMs: 20, factor: 2, jitter: 0 }), 20);
  });
});
