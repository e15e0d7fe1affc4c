import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { Lifecycle } from '../../../src/http/lifecycle.ts';

const server = { close() {}, closeIdleConnections() {}, closeAllConnections() {} } as unknown as Server;

describe('Lifecycle.onDrain: abort signals a drain answers', () => {
  it('forgets a controller when its exchange ends without an abort, and a drain leaves it alone', async () => {
    const lifecycle = new Lifecycle();
    const controllers = Array.from({ length: 100 }, () => new AbortController());
    for (const c of controllers) lifecycle.onDrain(c)();
    assert.equal(lifecycle.drainWatchers, 0);
    await lifecycle.drain(server, 10);
    assert.equal(controllers.filter((c) => c.signal.aborted).length, 0);
  });

  it('aborts the controllers still registered when the drain starts, and forgets the aborted ones', async () => {
    const lifecycle = new Lifecycle();
    const aborted = new AbortController();
    const waiting = new AbortController();
    lifecycle.onDrain(aborted);
    lifecycle.onDrain(waiting);
    aborted.abort(new Error('the client hung up'));
    assert.equal(lifecycle.drainWatchers, 1);
    await lifecycle.drain(server, 10);
    assert.equal((waiting.signal.reason as Error).message, 'draining');
    assert.equal(lifecycle.drainWatchers, 0);
  });

  it('aborts at once while draining, keeping nothing', async () => {
    const lifecycle = new Lifecycle();
    await lifecycle.drain(server, 10);
    const late = new AbortController();
    lifecycle.onDrain(late)();
    assert.equal(late.signal.aborted, true);
    assert.equal(lifecycle.drainWatchers, 0);
  });
});
