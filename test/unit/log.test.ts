import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type pino from 'pino';
import { LineBatcher, createLogger, flatRecordLogger } from '../../src/log.ts';

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

describe('log lines batched for stdout', () => {
  const sink = () => {
    const chunks: string[] = [];
    let synced = 0;
    return { chunks, synced: () => synced, dest: { write: (c: string) => chunks.push(c) > 0, flushSync: () => void synced++ } };
  };

  it('hands lines over in order, in chunks of about the configured size', () => {
    const s = sink();
    const b = new LineBatcher(s.dest, 100);
    for (let i = 0; i < 25; i++) b.write(`{"n":${String(i).padStart(2, '0')}}\n`);
    assert.equal(s.chunks.length, 2, 'two chunks of 100+ characters so far');
    assert.ok(s.chunks.every((c) => c.length >= 100));
    b.flush();
    assert.equal(s.chunks.join(''), Array.from({ length: 25 }, (_, i) => `{"n":${String(i).padStart(2, '0')}}\n`).join(''));
  });

  it('flushSync hands over what is gathered and has the stream write it out', () => {
    const s = sink();
    const b = new LineBatcher(s.dest, 1 << 20);
    b.write('a\n');
    assert.deepEqual([s.chunks, s.synced()], [[], 0]);
    b.flushSync();
    assert.deepEqual([s.chunks, s.synced()], [['a\n'], 1]);
  });

  it('answers flush(callback) of any logger of the process once its lines are written out', async () => {
    const s = sink();
    const child = createLogger('info', new LineBatcher(s.dest, 1 << 20)).child({ component: 'x' });
    child.info('one');
    await new Promise<void>((resolve) => child.flush(() => resolve()));
    assert.equal(s.chunks.length, 1);
    assert.match(s.chunks[0]!, /"msg":"one"/);
    assert.equal(s.synced(), 1);
  });

  it('loses no line when the process exits right after logging', () => {
    const script = [
      `const { createLogger } = await import(${JSON.stringify(new URL('../../src/log.ts', import.meta.url).href)});`,
      `const log = createLogger('info');`,
      `for (let i = 0; i < 5000; i++) log.info({ n: i }, 'line');`,
      `process.exit(0);`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const ns = out.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    assert.deepEqual(ns, Array.from({ length: 5000 }, (_, i) => i));
  });

  it('loses no line when the process ends on its own after a timed flush (no write is left in flight)', async () => {
    // The 250 ms flush has handed a chunk to stdout; two more lines, and the process ends. An
    // asynchronous write still in flight then was lost (a worker's "stopping"/"stopped" lines).
    const script = [
      `const { createLogger } = await import(${JSON.stringify(new URL('../../src/log.ts', import.meta.url).href)});`,
      `const log = createLogger('info');`,
      `for (let i = 0; i < 3; i++) log.info({ n: i }, 'line');`,
      `await new Promise((r) => setTimeout(r, 300));`,
      `log.info({ n: 3 }, 'stopping');`,
      `await new Promise((r) => setTimeout(r, 5));`,
      `log.info({ n: 4 }, 'stopped');`,
    ].join('\n');
    const run = () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const outs = await Promise.all(Array.from({ length: 6 }, run));
    for (const { stdout } of outs) assert.deepEqual(stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n), [0, 1, 2, 3, 4]);
  });
});
