import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegateError } from '../../../src/errors.ts';
import { parseVerificationKey } from '../../../src/policy/bundle/keys.ts';
import type { VerificationOptions } from '../../../src/policy/bundle/verify.ts';
import { FAIL_CLOSED_RULE } from '../../../src/policy/decision.ts';
import { PolicyManager } from '../../../src/policy/manager.ts';
import { FileBundleSource } from '../../../src/policy/sources/file-source.ts';
import { HttpBundleSource } from '../../../src/policy/sources/http-source.ts';
import { waitUntil } from '../../helpers/ports.ts';
import { BundleServer } from '../../fixtures/policy/bundle-server.ts';
import { buildBundle, makeKeys, scratch } from '../../fixtures/policy/bundles.ts';
import { replaceFile } from '../../fixtures/policy/tarball.ts';

const reader = { type: 'user', id: 'dev-user', name: 'Dev', tenant: 'dev', groups: ['mcp-readers'], roles: [], scopes: [], client_id: 'dev', issuer: 'i', expires_at: 0 };
const listCustomers = {
  principal: reader,
  connection: { name: 'crm', tags: [] },
  mcp: { method: 'tools/call', tool: { name: 'list_customers', arguments: {} } },
  session: { id: 's', calls: 0 },
  http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: {} },
  time: { rfc3339: '2025-01-01T00:00:00.000Z', unix_ns: 1735689600000000000 },
};

describe('policy manager: activating bundles from a source', function () {
  this.timeout(30_000);
  let dir: string;
  let dispose: () => Promise<void>;
  let verification: VerificationOptions;
  let r1: Buffer;
  let r2: Buffer;
  let broken: Buffer;
  let unsigned: Buffer;

  before(async () => {
    ({ dir, dispose } = await scratch());
    const keys = await makeKeys(dir, 'ci', 'rsa');
    verification = { key: parseVerificationKey(keys.publicPem), required: true };
    [r1, r2, unsigned] = await Promise.all([
      buildBundle(dir, { revision: 'r1', signingKey: keys.privateKey }),
      buildBundle(dir, { revision: 'r2', signingKey: keys.privateKey }),
      buildBundle(dir, { revision: 'r3-unsigned' }),
    ]);
    broken = replaceFile(r2, 'policy.wasm', (wasm) => Buffer.concat([wasm, Buffer.from('tampered')]));
  });
  after(() => dispose());

  describe('from a bundle server', () => {
    let server: BundleServer;
    let manager: PolicyManager | undefined;
    let source: HttpBundleSource;
    const refusals: RegateError[] = [];

    beforeEach(async () => {
      server = new BundleServer();
      await server.start();
      server.serve(r1);
      refusals.length = 0;
    });
    afterEach(async () => {
      await manager?.stop(1000);
      manager = undefined;
      await server.stop();
    });

    async function startManager(options: { persistDir?: string; onActivate?: () => void } = {}): Promise<PolicyManager> {
      source = new HttpBundleSource({
        url: server.url,
        pollMs: 60_000, // the tests poll explicitly
        backoff: { baseMs: 60_000, maxMs: 60_000 },
        ...(options.persistDir ? { persistDir: options.persistDir } : {}),
      });
      manager = new PolicyManager({
        source,
        verification,
        onRefuse: (e) => refusals.push(e),
        ...(options.onActivate ? { onActivate: options.onActivate } : {}),
      });
      await manager.start();
      return manager;
    }

    it('activates the served bundle at start; status and decisions carry its revision', async () => {
      const m = await startManager();
      assert.equal(m.current()?.revision, 'r1');
      assert.equal(m.evaluate(listCustomers).revision, 'r1');
      const s = m.status();
      assert.equal(s.state, 'OK');
      assert.equal(s.details?.['revision'], 'r1');
      assert.equal(s.details?.['signed'], true);
      assert.match(s.message ?? '', /revision r1 active/);
    });

    it('asks with If-None-Match and keeps the engine on 304', async () => {
      const m = await startManager();
      const engine = m.current()?.engine;
      await source.pollNow();
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0]?.['if-none-match'], undefined);
      assert.match(String(server.requests[1]?.['if-none-match']), /^"[0-9a-f]{16}"$/);
      assert.equal(m.current()?.engine, engine);
    });

    it('keeps the old policy enforcing when a broken bundle is pushed, and says why', async () => {
      const m = await startManager();
      server.serve(broken);
      await source.pollNow();
      assert.equal(m.current()?.revision, 'r1');
      assert.equal(m.evaluate(listCustomers).revision, 'r1');
      assert.equal(refusals[0]?.code, 'REGATE_ERR_BUNDLE_DIGEST');
      const s = m.status();
      assert.equal(s.state, 'OK');
      assert.match(s.message ?? '', /revision r1 active; last update failed: .*policy\.wasm: digest mismatch/);
      assert.equal(s.details?.['refusals'], 1);
      // A refused bundle's ETag is not remembered: the next poll still names r1's, so the server
      // sends the broken bundle again in full and it is refused again (no silent 304).
      await source.pollNow();
      assert.equal(server.requests.length, 3);
      assert.equal(server.requests[2]?.['if-none-match'], server.requests[1]?.['if-none-match']);
      assert.equal(refusals.length, 2);
    });

    it('does not activate the same bytes twice (e.g. persisted, then downloaded again)', async () => {
      let activations = 0;
      const m = await startManager({ onActivate: () => activations++ });
      const first = m.current();
      assert.equal(await m.activate(Buffer.from(r1), 'again'), first);
      assert.equal(activations, 1);
      assert.equal(m.status().details?.['activations'], 1);
    });

    it('refuses an unsigned bundle when signatures are required', async () => {
      const m = await startManager();
      server.serve(unsigned);
      await source.pollNow();
      assert.equal(refusals[0]?.code, 'REGATE_ERR_BUNDLE_UNSIGNED');
      assert.equal(m.current()?.revision, 'r1');
    });

    it('swaps in a good bundle without restart; the revision changes exactly at the swap', async () => {
      const events: string[] = [];
      const m = await startManager({ onActivate: () => events.push('swap') });
      events.length = 0;
      // Decide continuously while the new bundle downloads, verifies, compiles and swaps.
      let deciding = true;
      const loop = (async () => {
        while (deciding) {
          events.push(m.evaluate(listCustomers).revision);
          await new Promise((r) => setImmediate(r));
        }
      })();
      server.serve(r2);
      await source.pollNow();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      deciding = false;
      await loop;
      const swap = events.indexOf('swap');
      assert.ok(swap > 0, `no swap seen: ${events.join(' ')}`);
      assert.deepEqual(new Set(events.slice(0, swap)), new Set(['r1']));
      assert.deepEqual(new Set(events.slice(swap + 1)), new Set(['r2']));
      assert.ok(events.length > swap + 1, 'no decision after the swap');
      assert.equal(m.status().details?.['revision'], 'r2');
    });

    it('backs off while the server fails, keeping the policy, and recovers', async () => {
      const m = await startManager();
      server.failWith = 503;
      await source.pollNow();
      assert.equal(m.current()?.revision, 'r1');
      assert.match(m.status().message ?? '', /last update failed: .*HTTP 503/);
      assert.match(String(m.status().details?.['source_error']), /HTTP 503/);
      server.failWith = undefined;
      server.serve(r2);
      await source.pollNow();
      assert.equal(m.current()?.revision, 'r2');
      assert.equal(m.status().details?.['source_error'], undefined);
    });

    it('retries by itself while the server fails, then picks the bundle up', async () => {
      server.failWith = 502;
      source = new HttpBundleSource({ url: server.url, pollMs: 60_000, backoff: { baseMs: 10, maxMs: 40 } });
      manager = new PolicyManager({ source, verification });
      await manager.start();
      await waitUntil('three attempts', async () => server.requests.length >= 3);
      assert.equal(manager.current(), undefined);
      server.failWith = undefined;
      const m = manager;
      await waitUntil('r1 active', async () => m.current()?.revision === 'r1');
    });

    it('starts from the persisted last good bundle while the server is down', async () => {
      const persistDir = join(dir, `persist-${Date.now()}`);
      server.serve(r2);
      const first = await startManager({ persistDir });
      assert.equal(first.current()?.revision, 'r2');
      await first.stop(1000);
      manager = undefined;

      server.failWith = 503;
      const cold = await startManager({ persistDir });
      assert.equal(cold.current()?.revision, 'r2');
      assert.match(cold.current()?.origin ?? '', /persisted/);
      assert.equal(cold.status().state, 'OK');
      assert.equal(cold.evaluate(listCustomers).outcome, 'allow');
    });

    it('sends the persisted ETag after a cold start and gets 304', async () => {
      const persistDir = join(dir, `persist-etag-${Date.now()}`);
      const first = await startManager({ persistDir });
      await first.stop(1000);
      manager = undefined;
      server.requests.length = 0;
      await startManager({ persistDir });
      assert.equal(server.requests.length, 1);
      assert.notEqual(server.requests[0]?.['if-none-match'], undefined);
    });

    it('is not ready and denies (fail closed) when nothing could be loaded', async () => {
      server.failWith = 500;
      const m = await startManager();
      assert.equal(m.current(), undefined);
      const s = m.status();
      assert.equal(s.state, 'ERROR');
      assert.match(s.message ?? '', /HTTP 500/);
      const d = m.evaluate(listCustomers);
      assert.equal(d.rule, FAIL_CLOSED_RULE);
      assert.equal(d.error?.code, 'REGATE_ERR_POLICY_NOT_READY');
      assert.equal(d.allow, false);
    });
  });

  describe('from a local file', () => {
    let manager: PolicyManager | undefined;
    afterEach(async () => {
      await manager?.stop(1000);
      manager = undefined;
    });

    async function startOn(path: string): Promise<PolicyManager> {
      manager = new PolicyManager({ source: new FileBundleSource({ path, pollMs: 200, debounceMs: 20 }), verification });
      await manager.start();
      return manager;
    }

    it('reloads the file when it is replaced atomically, and after an in-place write', async () => {
      const path = join(dir, 'atomic.tar.gz');
      await writeFile(path, r1);
      const m = await startOn(path);
      assert.equal(m.current()?.revision, 'r1');
      await writeFile(`${path}.tmp`, r2);
      await rename(`${path}.tmp`, path);
      await waitUntil('r2 active', async () => m.current()?.revision === 'r2');
      await writeFile(path, r1);
      await waitUntil('r1 active again', async () => m.current()?.revision === 'r1');
    });

    it('keeps the old policy when the file turns into a broken bundle', async () => {
      const path = join(dir, 'broken.tar.gz');
      await writeFile(path, r1);
      const m = await startOn(path);
      await writeFile(path, broken);
      await waitUntil('refusal seen', async () => m.status().details?.['refusals'] === 1);
      assert.equal(m.current()?.revision, 'r1');
      assert.match(m.status().message ?? '', /digest mismatch/);
    });

    it('fails to start when the file is missing or refused', async () => {
      await assert.rejects(startOn(join(dir, 'missing.tar.gz')), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_BUNDLE_FETCH');
      const path = join(dir, 'garbage.tar.gz');
      await writeFile(path, 'garbage');
      await assert.rejects(startOn(path), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_BUNDLE_ARCHIVE');
    });
  });
});
