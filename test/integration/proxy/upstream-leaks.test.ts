import assert from 'node:assert/strict';
import { buildConfig } from '../../../src/config/load.ts';
import { startRegate, type RunningRegate } from '../../../src/http/server.ts';
import { captureLog, type CapturedLog } from '../../helpers/captured-log.ts';
import { startRawUpstream, type RawUpstream } from '../../fixtures/raw-upstream.ts';

/**
 * An upstream that echoes the gateway-held credential in a text/plain 500, and announces its
 * software and internal host in headers: the agent gets regate's words and allow-listed headers
 * only; the upstream's text reaches the log with the credential blotted out.
 */
describe('upstream text and headers never reach the agent', function () {
  this.timeout(20_000);
  const CREDENTIAL = 'gw-held-credential-7f3a';
  const internal = { server: 'internal-app/1.2', 'x-powered-by': 'PHP/5.1', 'x-internal-host': 'db-7.corp.internal' };
  let upstream: RawUpstream;
  let regate: RunningRegate;
  let captured: CapturedLog;

  before(async () => {
    upstream = await startRawUpstream((req, res, body) => {
      const m = JSON.parse(body) as { id: number; method: string };
      const echo = `upstream at /srv/app/main.py on db-7.corp.internal got authorization: ${req.headers.authorization}`;
      if (m.method === 'text-error') return void res.writeHead(500, { 'content-type': 'text/plain', ...internal }).end(echo);
      if (m.method === 'bad-json') return void res.writeHead(200, { 'content-type': 'application/json', ...internal }).end(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's-1', 'set-cookie': 'a=b', ...internal }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }));
    });
    captured = captureLog();
    const config = buildConfig(
      { listen: { host: '127.0.0.1', port: 0 }, connections: [{ name: 'crm', url: upstream.url, headers: { Authorization: `Bearer ${CREDENTIAL}` } }] },
      {},
    );
    regate = await startRegate({ config, log: captured.log });
  });
  after(async () => {
    await regate?.stop();
    await upstream?.close();
  });

  const call = (method: string) =>
    fetch(`${regate.url}/mcp/crm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method }),
    });

  const assertNoUpstreamHeaders = (res: Response) => {
    for (const name of Object.keys(internal)) assert.equal(res.headers.get(name), null, `${name} is not passed on`);
    assert.equal(res.headers.get('set-cookie'), null);
  };

  it('a text/plain 500 echoing the credential -> the status, a stable code and regate reason only', async () => {
    const res = await call('text-error');
    assert.equal(res.status, 500);
    assertNoUpstreamHeaders(res);
    const body = (await res.json()) as { error: { message: string; data: { code: string } } };
    assert.equal(body.error.data.code, 'REGATE_ERR_UPSTREAM_STATUS');
    assert.equal(body.error.message, 'upstream MCP server answered with an error: crm answered HTTP 500');
  });

  it('a JSON body that does not parse -> no parser quote of the body', async () => {
    const res = await call('bad-json');
    assert.equal(res.status, 502);
    assertNoUpstreamHeaders(res);
    const text = await res.text();
    // JSON.parse quotes the start of what it could not parse: here, the start of the credential.
    assert.ok(!text.includes('Bearer') && !text.includes('gw-'), text);
    assert.equal((JSON.parse(text) as { error: { data: { code: string } } }).error.data.code, 'REGATE_ERR_UPSTREAM_PROTOCOL');
  });

  it('a good answer keeps the MCP headers and drops the rest', async () => {
    const res = await call('ping');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('mcp-session-id'), 's-1');
    assertNoUpstreamHeaders(res);
  });

  it('the upstream text is in the log, with the connection credential redacted', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const lines = captured.records().filter((l) => typeof l.upstream_text === 'string');
    assert.equal(lines.length, 2, captured.text());
    const status = lines.find((l) => l.status === 500);
    assert.match(String(status?.upstream_text), /db-7\.corp\.internal got authorization: \[REDACTED\]/, 'operators see what the upstream said');
    assert.ok(!captured.text().includes(CREDENTIAL), 'the credential is not in any log line');
  });
});
