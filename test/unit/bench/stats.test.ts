import assert from 'node:assert/strict';
import { cpuSecondsFromStat, quantile, spread } from '../../../scripts/bench/stats.ts';

describe('the proxy benchmark statistics', () => {
  it('takes nearest-rank quantiles and the spread across rounds', () => {
    const v = [5, 1, 4, 2, 3];
    assert.deepEqual([quantile(v, 0.5), quantile(v, 0.99), quantile([], 0.5)], [3, 5, Number.NaN]);
    assert.deepEqual(spread([3, 1, 2, 10]), { min: 1, median: 2.5, max: 10 });
  });

  it('reads user + system CPU time from /proc/<pid>/stat, whatever the command name holds', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 11 0 100 0 0';
    assert.equal(cpuSecondsFromStat(stat), 2);
  });
});
