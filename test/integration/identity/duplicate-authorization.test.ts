import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { rawRequest } from '../../helpers/raw-http.ts';
import { startEchoUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

/** docs/identity.md: a request with more than one Authorization header is refused, whichever comes first. */
describe('two Authorization headers on a real socket', function () {
  this.timeout(20_000);
  let upstream: RawUpstream;
  let gw: TestGateway;
  let good: string;

  before(async () => {
    upstream = await startEchoUpstream();
    gw = await startTestGateway({ connections: [{ name: 'crm', url: upstream.url }] });
    good = await gw.token('alice', ['mcp-readers']);
  });
  after(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  const post = (path: string, authorizations: readonly string[]) => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    return rawRequest(
      gw.regate.url,
      [
        `POST ${path} HTTP/1.1`,
        'host: 127.0.0.1',
        'content-type: application/json',
        'accept: application/json, text/event-stream',
        ...authorizations.map((a) => `authorization: ${a}`),
        `content-length: ${body.length}`,
        '',
        body,
      ].join('\r\n'),
    );
  };

  for (const path of ['/mcp/crm', '/mcp/crm/']) {
    it(`refuses a good token followed by another with 401 REGATE_ERR_AUTH_MALFORMED (${path})`, async () => {
      const res = await post(path, [`Bearer ${good}`, 'Bearer other']);
      assert.equal(res.status, 401);
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer /);
      assert.equal((JSON.parse(res.body) as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_AUTH_MALFORMED');
    });
  }

  it('refuses the same good token sent twice', async () => {
    const res = await post('/mcp/crm', [`Bearer ${good}`, `Bearer ${good}`]);
    assert.equal(res.status, 401);
  });

  it('accepts the token sent once (the control)', async () => {
    const res = await post('/mcp/crm', [`Bearer ${good}`]);
    assert.equal(res.status, 200, res.body);
  });
});
