import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { eachChunk } from '../../../src/proxy/relay.ts';

describe('eachChunk: one chunk at a time, paused while it is handled', () => {
  const stream = () => new PassThrough() as unknown as IncomingMessage & PassThrough;

  it('delivers chunks in order, never two at once, and resolves at the end', async () => {
    const s = stream();
    const seen: string[] = [];
    let inFlight = 0;
    const done = eachChunk(s, async (c) => {
      assert.equal(++inFlight, 1);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(c.toString());
      inFlight--;
      return true;
    });
    s.write('a');
    s.write('b');
    s.end('c');
    await done;
    assert.deepEqual(seen.join(''), 'abc');
  });

  it('stops and destroys the stream when the handler answers false', async () => {
    const s = stream();
    const done = eachChunk(s, async () => false);
    s.write('a');
    await done;
    assert.equal(s.destroyed, true);
  });

  it('rejects and destroys the stream when the handler fails', async () => {
    const s = stream();
    const done = eachChunk(s, async () => {
      throw new Error('boom');
    });
    s.write('a');
    await assert.rejects(done, /boom/);
    assert.equal(s.destroyed, true);
  });

  it('rejects when the stream breaks off before its end', async () => {
    const s = stream();
    const done = eachChunk(s, async () => true);
    s.write('a');
    s.destroy();
    await assert.rejects(done, { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
