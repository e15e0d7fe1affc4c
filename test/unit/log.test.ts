import assert from 'node:assert/strict';
import type pino from 'pino';
import { createLogger, flatRecordLogger } from '../../src/log.ts';

describe('log redaction', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, dest: { write: (s: string) => void lines.push(s) } as pino.DestinationStream };
  };

  it('censors credentials at any depth the process logger knows', () => {
    const { lines, dest } = capture();
    createLogger('info', dest).info({ token: 't', headers: { authorization: 'a', cookie: 'c' }, upstream: { headers: { authorization: 'u' } } }, 'x');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.token, '[REDACTED]');
    assert.deepEqual(line.headers, { authorization: '[REDACTED]', cookie: '[REDACTED]' });
    assert.deepEqual(line.upstream, { headers: { authorization: '[REDACTED]' } });
  });

  it('the flat-record logger (decision log) censors the same fixed paths', () => {
    const { lines, dest } = capture();
    flatRecordLogger(createLogger('info', dest), { component: 'decision_log' }).info({ token: 't', headers: { authorization: 'a' }, rule: 'r' }, 'decision');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.component, 'decision_log');
    assert.equal(line.token, '[REDACTED]');
    assert.deepEqual(line.headers, { authorization: '[REDACTED]' });
    assert.equal(line.rule, 'r');
  });
});
