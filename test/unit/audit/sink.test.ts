import assert from 'node:assert/strict';
import { parseRetryAfter } from '../../../src/audit/sink.ts';

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] });

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  const cases: [string, Record<string, string>, number | undefined][] = [
    ['delta seconds', { 'retry-after': '7' }, 7000],
    ['an HTTP date', { 'retry-after': 'Mon, 30 Nov 2026 10:00:30 GMT' }, 30_000],
    ['a date in the past', { 'retry-after': 'Mon, 30 Nov 2026 09:00:00 GMT' }, 0],
    ['retry-after-ms first', { 'retry-after-ms': '250', 'retry-after': '7' }, 250],
    ['x-ms-retry-after-ms', { 'x-ms-retry-after-ms': '1500' }, 1500],
    ['nothing', {}, undefined],
    ['garbage', { 'retry-after': 'soon' }, undefined],
  ];
  for (const [name, h, expected] of cases) it(name, () => assert.equal(parseRetryAfter(headers(h), now), expected));
});
