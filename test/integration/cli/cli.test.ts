import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient } from '../../helpers/peers.ts';

const main = join(import.meta.dirname, '../../../src/main.ts');

function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, exited, out: () => out, err: () => err };
}

describe('the regate command', function () {
  this.timeout(30_000);

  it('exits non-zero with one line naming the key path when the config is bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'connections:\n  - name: crm\n    url: not-a-url\n');
    const p = run(['serve', '--config', file]);
    assert.equal(await p.exited, 2);
    const lines = p.err().trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /REGATE_ERR_CONFIG_INVALID.*connections\[0\]\.url/);
  });

  it('refuses to serve without an auth section', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
    const file = join(dir, 'noauth.yaml');
    await writeFile(file, 'connections:\n  - name: crm\n    url: http://127.0.0.1:1/mcp\n');
    const p = run(['serve', '--config', file]);
    assert.equal(await p.exited, 2);
    assert.match(p.err(), /auth: required/);
  });

  it('mints a dev token only when the config enables dev auth', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
    const entra = join(dir, 'entra.yaml');
    await writeFile(entra, 'connections: [{ name: crm, url: "http://127.0.0.1:1/mcp" }]\nauth: { provider: entra, tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47, audience: [api://regate] }\n');
    const refused = run(['token', '--config', entra, '--sub', 'alice']);
    assert.equal(await refused.exited, 2);
    const dev = join(dir, 'dev.yaml');
    await writeFile(dev, 'connections: [{ name: crm, url: "http://127.0.0.1:1/mcp" }]\nauth: { provider: dev, dev: { enabled: true, key_file: null } }\n');
    const minted = run(['token', '--config', dev, '--sub', 'alice', '--groups', 'a,b']);
    assert.equal(await minted.exited, 0);
    const payload = JSON.parse(Buffer.from(minted.out().trim().split('.')[1]!, 'base64url').toString()) as { sub: string; groups: string[] };
    assert.deepEqual({ sub: payload.sub, groups: payload.groups }, { sub: 'alice', groups: ['a', 'b'] });
  });

  it('keeps the dev key next to the config, wherever token is run from, so serve accepts its tokens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'regate-cwd-'));
    const dev = join(dir, 'dev.yaml');
    await writeFile(dev, 'connections: [{ name: crm, url: "http://127.0.0.1:1/mcp" }]\nauth: { provider: dev, dev: { enabled: true, key_file: keys/dev-key.json } }\n');
    const minted = run(['token', '--config', dev, '--sub', 'alice'], {}, elsewhere);
    assert.equal(await minted.exited, 0, minted.err());
    assert.ok(existsSync(join(dir, 'keys/dev-key.json')), 'the key is next to the config');
    assert.equal(existsSync(join(elsewhere, 'keys/dev-key.json')), false);
  });

  it('eval says why no policy is loaded instead of printing a fail-closed decision', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
    const cfg = join(dir, 'regate.yaml');
    await writeFile(cfg, 'connections: [{ name: crm, url: "http://127.0.0.1:1/mcp" }]\npolicy: { bundle: { url: "http://127.0.0.1:1/b.tar.gz", timeout_seconds: 2 } }\n');
    const input = join(dir, 'input.json');
    await writeFile(input, JSON.stringify({ principal: { id: 'a' }, connection: { name: 'crm' }, mcp: { method: 'ping' } }));
    const p = run(['eval', '--config', cfg, '--input', input]);
    assert.notEqual(await p.exited, 0);
    assert.match(p.err(), /REGATE_ERR_POLICY_NOT_READY.*could not be fetched: http:\/\/127\.0\.0\.1:1\/b\.tar\.gz/);
  });

  describe('regate eval (policy dry run)', () => {
    const cases: ReadonlyArray<{ name: string; doc: unknown; args: string[]; decision: string; rule: RegExp }> = [
      {
        name: 'a policy input',
        doc: {
          principal: { type: 'user', id: 'alice', name: 'Alice', tenant: 'dev', groups: ['mcp-readers'], roles: [], scopes: [], client_id: 'x', issuer: 'x', expires_at: 0 },
          connection: { name: 'crm', tags: [] },
          mcp: { method: 'tools/call', id: 1, tool: { name: 'get_customer', arguments: { id: 'cus_001' } } },
          session: { calls: 1 },
          http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: {} },
        },
        args: [],
        decision: 'allow',
        rule: /\S/,
      },
      {
        name: 'a recorded transcript event, with the groups given on the command line',
        doc: { kind: 'request', time: '2026-11-20T10:00:00Z', connection: 'crm', principal_id: 'alice', principal_type: 'user', method: 'tools/call', tool: 'delete_customer', arguments: { id: 'cus_001' } },
        args: ['--groups', 'mcp-readers'],
        decision: 'approval',
        rule: /^regate\.tools\.destructive$/,
      },
    ];
    for (const c of cases) {
      it(`prints the decision, rule and revision for ${c.name}`, async () => {
        const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
        const file = join(dir, 'input.json');
        await writeFile(file, JSON.stringify(c.doc));
        const p = run(['eval', '--input', file, ...c.args]);
        assert.equal(await p.exited, 0, p.err());
        const out = JSON.parse(p.out()) as { decision: string; rule: string; revision: string };
        assert.equal(out.decision, c.decision);
        assert.match(out.rule, c.rule);
        assert.match(out.revision, /\S/);
      });
    }
  });

  it('prints a config with secrets redacted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-cli-'));
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'connections:\n  - name: crm\n    url: http://127.0.0.1:1/mcp\n    headers: { Authorization: "Bearer ${CRM_TOKEN}" }\n');
    const p = run(['config', '--config', file], { CRM_TOKEN: 'super-secret-value' });
    assert.equal(await p.exited, 0);
    assert.match(p.out(), /Authorization: "?\[REDACTED\]"?/);
    assert.doesNotMatch(p.out(), /super-secret-value/);
  });

  it('serves the embedded defaults, prints how to call them, and stops cleanly on SIGTERM', async () => {
    const p = run(['serve'], { REGATE_LISTEN_PORT: '0', REGATE_LOG_LEVEL: 'warn' });
    try {
      const deadline = Date.now() + 15_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        url = /MCP endpoint \(Streamable HTTP\): (\S+)/.exec(p.out())?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(url, `no endpoint printed:\n${p.out()}\n${p.err()}`);
      assert.match(p.out(), /curl/);
      const token = /export TOKEN=(\S+)/.exec(p.out())?.[1];
      assert.ok(token, 'a dev token is printed');
      const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
      assert.equal(anonymous.status, 401, 'the embedded default is not open to anonymous callers');
      const c = await connectClient(url, 'streamable-http', { headers: { Authorization: `Bearer ${token}` } });
      const tools = await c.client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'delete_customer'));
      await c.close();
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
