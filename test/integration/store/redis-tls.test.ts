/**
 * The Redis store over TLS with a password, as production runs it (Azure Cache for Redis and most
 * managed Redis services take rediss:// and AUTH): a real redis-server with a TLS port, certified
 * by the throwaway test CA, and `--requirepass`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Component } from '../../../src/components/component.ts';
import { redisConfigSchema } from '../../../src/store/config.ts';
import { createStore } from '../../../src/store/create.ts';
import type { Store } from '../../../src/store/store.ts';
import { freePort, waitUntil } from '../../helpers/ports.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import { testCa } from '../../helpers/test-ca.ts';

describe('store on redis: TLS and password from the configuration', function () {
  this.timeout(30_000);
  const password = 'correct horse battery staple';
  let redis: RedisServer;
  let tlsPort: number;
  let caFile: string;
  let baseDir: string;
  const opened: Array<{ store: Store; component: Component }> = [];

  before(async () => {
    const ca = await testCa();
    baseDir = ca.dir;
    caFile = ca.caFile;
    const cert = join(ca.dir, 'redis-server.pem');
    const key = join(ca.dir, 'redis-server.key');
    writeFileSync(cert, ca.certPem);
    writeFileSync(key, ca.keyPem);
    tlsPort = await freePort();
    redis = await startRedis({
      args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', 'no', '--requirepass', password],
    });
  });
  after(async () => redis?.stop());
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.component.stop(1000);
  });

  async function open(config: Record<string, unknown>): Promise<{ store: Store; component: Component }> {
    const o = createStore(redisConfigSchema.parse({ command_timeout_ms: 1000, connect_timeout_ms: 2000, ...config }), pino({ level: 'silent' }), { baseDir });
    opened.push(o);
    await o.component.start();
    return o;
  }

  it('connects with rediss://, the CA file and the configured password', async () => {
    const { store, component } = await open({ url: `rediss://127.0.0.1:${tlsPort}`, password, tls: { ca_file: caFile } });
    await waitUntil('store OK', async () => component.status().state === 'OK', { timeoutMs: 5000 });
    await store.set('k', 'over tls', 60_000);
    assert.equal(await store.get('k'), 'over tls');
  });

  it('takes the password from the URL, and a CA path relative to the config directory', async () => {
    const { store, component } = await open({ url: `rediss://:${encodeURIComponent(password)}@127.0.0.1:${tlsPort}`, tls: { ca_file: 'ca.crt' } });
    await waitUntil('store OK', async () => component.status().state === 'OK', { timeoutMs: 5000 });
    assert.equal(await store.increment('n', 60_000), 1);
  });

  it('a wrong password: never ready, the reason is in the status, operations fail as unavailable', async () => {
    const { store, component } = await open({ url: `rediss://127.0.0.1:${tlsPort}`, password: 'wrong', tls: { ca_file: caFile } });
    await waitUntil('the refusal is reported', async () => /WRONGPASS|NOAUTH|invalid/i.test(component.status().message ?? ''), { timeoutMs: 5000 });
    assert.equal(component.status().state, 'NOT_READY', JSON.stringify(component.status()));
    await assert.rejects(store.get('k'), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
  });

  it('a server certificate from an untrusted CA is refused', async () => {
    const { store, component } = await open({ url: `rediss://127.0.0.1:${tlsPort}`, password });
    await waitUntil('the refusal is reported', async () => /certificate/i.test(component.status().message ?? ''), { timeoutMs: 5000 });
    assert.equal(component.status().state, 'NOT_READY');
    await assert.rejects(store.get('k'), { code: 'REGATE_ERR_STORE_UNAVAILABLE' });
  });

  it('a store stopped during its TLS handshake survives the second error of that socket (the server alert after the certificate failure)', async () => {
    // Ending a socket before its handshake is done makes redis answer with an alert ("tlsv1 alert decode
    // error"), which the client reports after its own certificate failure: two errors on one socket.
    // ioredis alone listens once, so the second was an uncaught exception (mocha fails the test on it).
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    for (let i = 0; i < 5; i++) {
      const { component } = createStore(redisConfigSchema.parse({ url: `rediss://127.0.0.1:${tlsPort}`, password }), log, { baseDir });
      const started = component.start();
      // The sockets exist (ioredis opens them on the next tick); their handshakes have not finished.
      await new Promise((resolve) => setImmediate(resolve));
      await component.stop(1000);
      await started;
    }
    await waitUntil('the late TLS alert is logged, not thrown', async () => lines.some((l) => l.includes('tlsv1 alert')), { timeoutMs: 5000 });
  });

  it('an unreadable CA file is a configuration error at start-up', () => {
    assert.throws(
      () => createStore(redisConfigSchema.parse({ url: `rediss://127.0.0.1:${tlsPort}`, tls: { ca_file: 'missing-ca.pem' } }), pino({ level: 'silent' }), { baseDir }),
      { code: 'REGATE_ERR_CONFIG_READ', message: /redis\.tls\.ca_file/ },
    );
  });
});
