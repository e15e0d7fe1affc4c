import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../../../src/compose.ts';
import { buildConfig } from '../../../src/config/load.ts';
import { captureLog } from '../../helpers/captured-log.ts';
import { COMMITTED_BUNDLE, REPO } from '../../helpers/gateway.ts';

/** A bundle URL carrying a SAS-style query token and user:pass@ is used, never shown. */
describe('secrets in configured URLs stay out of /readyz, logs and regate config', function () {
  this.timeout(30_000);
  const SAS = 'sas-secret-1';
  const PASSWORD = 'pw-secret-2';
  let server: http.Server;
  let base: string;
  let failing = false;
  const seen: Array<{ url: string; authorization?: string }> = [];

  before(async () => {
    const bundle = await readFile(COMMITTED_BUNDLE);
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const ok = req.url === `/regate.tar.gz?sig=${SAS}` && req.headers.authorization === `Basic ${Buffer.from(`ci:${PASSWORD}`).toString('base64')}`;
      if (failing || !ok) return void res.writeHead(failing ? 500 : 403).end();
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(bundle);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches with the secrets, and shows the URL without them in /readyz and every log line', async () => {
    const captured = captureLog();
    const config = buildConfig(
      {
        listen: { host: '127.0.0.1', port: 0 },
        auth: { provider: 'dev', dev: { enabled: true, key_file: null } },
        connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }],
        policy: { bundle: { url: `http://ci:${PASSWORD}@${base}/regate.tar.gz?sig=${SAS}`, poll_seconds: 0.2 } },
      },
      {},
    );
    let gw: Gateway | undefined;
    try {
      gw = await startGateway(config, { baseDir: REPO, log: captured.log });
      const ready = await fetch(`${gw.regate.url}/readyz`);
      const text = await ready.text();
      assert.equal(ready.status, 200, text);
      const source = (JSON.parse(text) as { components: { policy: { details: { source: string } } } }).components.policy.details.source;
      assert.equal(source, `http://REDACTED@${base}/regate.tar.gz?REDACTED`);

      // The bundle server fails: the warning names the source, still without its secrets.
      failing = true;
      const before = seen.length;
      for (let i = 0; i < 50 && seen.length < before + 2; i++) await new Promise((r) => setTimeout(r, 100));
      const failed = await (await fetch(`${gw.regate.url}/readyz`)).text();
      assert.match(failed, /HTTP 500/);
      assert.ok(!failed.includes(SAS) && !failed.includes(PASSWORD), failed);
    } finally {
      failing = false;
      await gw?.regate.stop();
    }
    const logs = captured.text();
    assert.match(logs, /policy bundle download failed/);
    assert.ok(logs.includes('?REDACTED'), 'the log names the (redacted) source');
    assert.ok(!logs.includes(SAS), 'no SAS token in the log');
    assert.ok(!logs.includes(PASSWORD), 'no password in the log');
  });

  it('regate config prints every URL without its query or userinfo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-urls-'));
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      [
        'connections:',
        `  - name: crm`,
        `    url: https://agent:${PASSWORD}@crm.example/mcp?code=${SAS}`,
        'policy:',
        `  bundle: { url: "https://acct.blob.core.windows.net/b/regate.tar.gz?sv=2024&sig=${SAS}" }`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [join(REPO, 'src/main.ts'), 'config', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
    assert.equal(code, 0);
    assert.match(out, /url: https:\/\/REDACTED@crm\.example\/mcp\?REDACTED/);
    assert.match(out, /url: https:\/\/acct\.blob\.core\.windows\.net\/b\/regate\.tar\.gz\?REDACTED/);
    assert.ok(!out.includes(SAS) && !out.includes(PASSWORD), out);
  });
});
