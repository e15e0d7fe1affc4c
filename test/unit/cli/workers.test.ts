import assert from 'node:assert/strict';
import { parseWorkers, RestartPolicy } from '../../../src/cli/workers.ts';
import { RegateError } from '../../../src/errors.ts';

describe('regate serve --workers', () => {
  const valid: ReadonlyArray<[string | undefined, number]> = [
    [undefined, 1],
    ['1', 1],
    ['3', 3],
    ['auto', 8],
  ];
  for (const [value, expected] of valid) {
    it(`reads ${value === undefined ? 'no flag' : `"${value}"`} as ${expected} worker(s) on an 8-core host`, () => {
      assert.equal(parseWorkers(value, 8), expected);
    });
  }

  for (const value of ['0', '-1', '2.5', 'two', '', '10000']) {
    it(`refuses "${value}" as a configuration error naming the flag`, () => {
      assert.throws(
        () => parseWorkers(value, 8),
        (err: unknown) => err instanceof RegateError && err.code === 'REGATE_ERR_CONFIG_INVALID' && err.message.includes('--workers'),
      );
    });
  }

  it('auto means at least one worker', () => {
    assert.equal(parseWorkers('auto', 0), 1);
  });
});

describe('restarting crashed workers', () => {
  const opts = { maxCrashes: 3, windowMs: 10_000, backoff: { baseMs: 100, maxMs: 1000, factor: 2, jitter: 0 } };

  it('restarts a crash after the base delay and backs off while crashes keep coming', () => {
    const p = new RestartPolicy(opts);
    assert.deepEqual(
      [p.crashed(0), p.crashed(1), p.crashed(2)],
      [
        { restart: true, delayMs: 100 },
        { restart: true, delayMs: 200 },
        { restart: true, delayMs: 400 },
      ],
    );
  });

  it('gives up when more than maxCrashes happen within the window', () => {
    const p = new RestartPolicy(opts);
    for (let i = 0; i < 3; i++) assert.equal(p.crashed(i * 1000).restart, true);
    assert.deepEqual(p.crashed(3000), { restart: false, crashes: 4 });
  });

  it('forgets crashes older than the window, so a rare crash never adds up to giving up', () => {
    const p = new RestartPolicy(opts);
    for (let i = 0; i < 10; i++) assert.deepEqual(p.crashed(i * 10_000), { restart: true, delayMs: 100 }, `crash ${i}`);
  });
});
