/**
 * A real regate logger (same redaction, same serializers) whose lines are kept in memory, so a
 * test can assert what an operator would read in the log.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log.ts';

export interface CapturedLog {
  readonly log: Logger;
  /** Every line written so far, as text. */
  text(): string;
  /** Every line written so far, parsed. */
  records(): Array<Record<string, unknown>>;
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger(level, dest as never);
  return {
    log,
    text: () => lines.join(''),
    records: () =>
      lines
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
