import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, loadConfigFile } from '../../../src/config/load.ts';
import { REDACTED, redactConfig } from '../../../src/config/redact.ts';
import { expandEnv } from '../../../src/config/env.ts';

const minimal = { connections: [{ name: 'crm', url: 'http://127.0.0.1:3901/mcp' }] };

describe('configuration', () => {
  it('fills defaults and freezes the result', () => {
    const c = buildConfig(minimal, {});
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
    assert.equal(c.connections[0]!.transport, 'streamable-http');
    assert.equal(c.limits.max_body_bytes, 4 * 1024 * 1024);
    assert.ok(c.connections[0]!.timeouts.response_seconds > 300, 'long tool calls must outlive 300 s by default');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.connections[0]!.headers));
  });

  const bad: ReadonlyArray<{ name: string; doc: unknown; path: string }> = [
    { name: 'no connections', doc: {}, path: 'connections' },
    { name: 'a non-http URL', doc: { connections: [{ name: 'a', url: 'ftp://x' }] }, path: 'connections[0].url' },
    { name: 'an unknown transport', doc: { connections: [{ name: 'a', url: 'http://x', transport: 'ws' }] }, path: 'connections[0].transport' },
    { name: 'an unknown key (typo)', doc: { ...minimal, listne: {} }, path: '(root)' },
    { name: 'a port out of range', doc: { ...minimal, listen: { port: 70000 } }, path: 'listen.port' },
    { name: 'a name that is not a path segment', doc: { connections: [{ name: 'A/B', url: 'http://x' }] }, path: 'connections[0].name' },
    {
      name: 'duplicate names',
      doc: { connections: [{ name: 'a', url: 'http://x' }, { name: 'a', url: 'http://y' }] },
      path: 'connections[1].name',
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, naming the key path`, () => {
      assert.throws(
        () => buildConfig(c.doc as never, {}),
        (err: Error & { code?: string }) => err.code === 'REGATE_ERR_CONFIG_INVALID' && err.message.includes(c.path),
      );
    });
  }

  it('expands ${ENV} and ${ENV:-default}, and $${ as a literal', () => {
    assert.deepEqual(expandEnv({ a: 'Bearer ${T}', b: ['${U:-x}'], c: '$${T}' }, { T: 'tok' }), { a: 'Bearer tok', b: ['x'], c: '${T}' });
  });

  it('names the key path of an unset variable', () => {
    assert.throws(
      () => buildConfig({ connections: [{ name: 'a', url: 'http://x', headers: { Authorization: 'Bearer ${NOPE}' } }] }, {}),
      (err: Error & { code?: string }) => err.code === 'REGATE_ERR_CONFIG_ENV' && err.message.includes('connections[0].headers.Authorization'),
    );
  });

  it('applies REGATE_LISTEN_PORT over the file', () => {
    assert.equal(buildConfig(minimal, { REGATE_LISTEN_PORT: '9999' }).listen.port, 9999);
  });

  it('redacts every header value and secret-looking key when printed', () => {
    const c = buildConfig({ connections: [{ name: 'a', url: 'http://x', headers: { 'X-Api': 'k1', Authorization: 'Bearer s' } }] }, {});
    const r = redactConfig(c);
    assert.deepEqual(r.connections[0]!.headers, { 'X-Api': REDACTED, Authorization: REDACTED });
    assert.equal(JSON.stringify(r).includes('Bearer s'), false);
    assert.deepEqual(redactConfig({ x: { client_secret: 'zz', keep: 1 } }), { x: { client_secret: REDACTED, keep: 1 } });
  });

  it('redacts the redis password and the credentials in a URL, and nothing else of the URL', () => {
    const c = buildConfig({ ...minimal, redis: { url: 'rediss://app:s3cret@redis.internal:6380/2', password: 'pw', tls: { ca_file: 'ca.pem' } } }, {});
    const r = redactConfig(c);
    assert.equal(r.redis?.url, `rediss://REDACTED@redis.internal:6380/2`);
    assert.equal(r.redis?.password, REDACTED);
    assert.equal(r.redis?.key_prefix, 'regate:');
    assert.equal(r.redis?.tls?.ca_file, 'ca.pem');
    assert.equal(JSON.stringify(r).includes('s3cret'), false);
    assert.equal(redactConfig({ url: 'redis://127.0.0.1:6379', at: 'user@example.com' }).url, 'redis://127.0.0.1:6379');
    assert.equal(redactConfig({ at: 'user@example.com' }).at, 'user@example.com');
  });

  it('reports YAML errors and unreadable files with a clear code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regate-config-'));
    const f = join(dir, 'bad.yaml');
    await writeFile(f, 'connections: [\n');
    await assert.rejects(loadConfigFile(f, {}), { code: 'REGATE_ERR_CONFIG_INVALID' });
    await assert.rejects(loadConfigFile(join(dir, 'missing.yaml'), {}), { code: 'REGATE_ERR_CONFIG_READ' });
  });
});
