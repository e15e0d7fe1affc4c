import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { rawConnect, type RawConnection } from '../../helpers/raw-http.ts';
import { startEchoUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

/** A body sent one byte at a time cannot hold a socket: without a token not at all, with one not for long. */
describe('slow request bodies (slow loris) on a raw socket', function () {
  this.timeout(30_000);
  let upstream: RawUpstream;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      connections: [{ name: 'crm', url: upstream.url }],
      limits: { body_timeout_seconds: 2, min_body_bytes_per_second: 100 },
    });
    token = await gw.token('alice', ['mcp-readers']);
  });
  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  /** Opens a POST announcing `length` bytes and sends them one at a time, every `everyMs`, until the server closes. */
  const trickle = (path: string, auth: boolean, length: number, everyMs: number): { c: RawConnection; sent: () => number } => {
    const head = [
      `POST ${path} HTTP/1.1`,
      'host: 127.0.0.1',
      'content-type: application/json',
      'accept: application/json, text/event-stream',
      ...(auth ? [`authorization: Bearer ${token}`] : []),
      `content-length: ${length}`,
      '',
      '',
    ].join('\r\n');
    const c = rawConnect(gw.regate.url, head);
    let sent = 0;
    let open = true;
    void c.closed.then(() => (open = false));
    void (async () => {
      while (open && sent < length) {
        await new Promise((r) => setTimeout(r, everyMs));
        if (!(await c.write(' '))) break;
        sent++;
      }
    })();
    return { c, sent: () => sent };
  };

  /** Resolves true when the server closed the connection within `ms`. */
  const closedWithin = (c: RawConnection, ms: number) =>
    Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);

  for (const path of ['/mcp/crm', '/mcp/crm/']) {
    it(`without a token: 401 at once, and the socket is closed without waiting for the body (${path})`, async () => {
      const { c, sent } = trickle(path, false, 10_000, 20);
      const res = await c.response;
      assert.equal(res.status, 401);
      assert.equal((JSON.parse(res.body) as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_AUTH_MISSING');
      assert.ok(await closedWithin(c, 5000), 'the server closed the connection');
      assert.ok(sent() < 10_000, 'long before the body was complete');
    });
  }

  it('without a token, a fast large body: 401, and only a bounded part of the body is read before the socket is cut', async () => {
    const length = 20 * 1024 * 1024;
    const c = rawConnect(gw.regate.url, `POST /mcp/crm HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`);
    const chunk = ' '.repeat(64 * 1024);
    let sent = 0;
    while (sent < length && (await c.write(chunk))) sent += chunk.length;
    assert.equal((await c.response).status, 401);
    assert.ok(await closedWithin(c, 5000), 'the server closed the connection');
    assert.ok(sent < length, `the client could not deliver the whole body (${sent} of ${length} bytes)`);
  });

  it('with a token, a body slower than the minimum rate: 408 REGATE_ERR_BODY_TIMEOUT and the socket is freed', async () => {
    const { c, sent } = trickle('/mcp/crm', true, 10_000, 50); // ~20 bytes/s, limit 100
    const res = await c.response;
    assert.equal(res.status, 408);
    const err = (JSON.parse(res.body) as { error: { message: string; data: { code: string } } }).error;
    assert.equal(err.data.code, 'REGATE_ERR_BODY_TIMEOUT');
    assert.match(err.message, /slower than 100 bytes per second/);
    assert.ok(await closedWithin(c, 5000), 'the server closed the connection');
    assert.ok(sent() < 10_000);
  });

  it('with a token, a body fast enough but never finished: 408 at the body deadline', async () => {
    const { c } = trickle('/mcp/crm', true, 100_000, 2); // ~300+ bytes/s, above the rate, below 100 kB in 2 s
    const res = await c.response;
    assert.equal(res.status, 408);
    assert.match(res.body, /not complete within 2s/);
    assert.ok(await closedWithin(c, 5000), 'the server closed the connection');
  });

  it('a normal body is served, and the connection is kept alive (the control)', async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const c = rawConnect(
      gw.regate.url,
      `POST /mcp/crm HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\nauthorization: Bearer ${token}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    const res = await c.response;
    assert.equal(res.status, 200, res.body);
    assert.equal(await closedWithin(c, 500), false, 'the connection stays open for the next request');
    c.socket.destroy();
  });
});
