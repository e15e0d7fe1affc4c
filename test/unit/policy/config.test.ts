import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegateError } from '../../../src/errors.ts';
import { policyConfigSchema, policyRuntimeOptions } from '../../../src/policy/config.ts';
import { FileBundleSource } from '../../../src/policy/sources/file-source.ts';
import { HttpBundleSource } from '../../../src/policy/sources/http-source.ts';
import { makeKeys, scratch } from '../../fixtures/policy/bundles.ts';

describe('policy config: the policy section', () => {
  const valid: [name: string, input: unknown, check: (c: ReturnType<typeof policyConfigSchema.parse>) => void][] = [
    ['defaults to the committed bundle, enforcing, unsigned accepted', {}, (c) => {
      assert.deepEqual(c.bundle, { path: 'bundles/regate.tar.gz', poll_seconds: 2 });
      assert.equal(c.mode, 'enforce');
      assert.equal(c.verification, undefined);
      assert.equal(c.project_input, true);
    }],
    ['takes a bundle server with poll interval and headers', { bundle: { url: 'https://bundles.example/regate.tar.gz', poll_seconds: 10, headers: { authorization: 'Bearer t' } } }, (c) => {
      assert.deepEqual(c.bundle, { url: 'https://bundles.example/regate.tar.gz', poll_seconds: 10, headers: { authorization: 'Bearer t' }, timeout_seconds: 30 });
    }],
    ['requires signatures by default once a key is configured', { verification: { public_key_file: 'keys/bundle.pub' } }, (c) => {
      assert.equal(c.verification?.required, true);
    }],
    ['takes shadow mode and a persist directory', { mode: 'shadow', persist_dir: 'data/policy' }, (c) => {
      assert.equal(c.mode, 'shadow');
      assert.equal(c.persist_dir, 'data/policy');
    }],
  ];
  for (const [name, input, check] of valid) {
    it(name, () => check(policyConfigSchema.parse(input)));
  }

  const invalid: [name: string, input: unknown][] = [
    ['both a path and a url', { bundle: { path: 'a', url: 'https://x/b' } }],
    ['a url that is not http(s)', { bundle: { url: 'ftp://x/b' } }],
    ['an unknown mode', { mode: 'audit' }],
    ['verification without a key file', { verification: { required: true } }],
    ['an unknown signing algorithm', { verification: { public_key_file: 'k', algorithm: 'HS256' } }],
    ['an unknown key', { bundel: { path: 'x' } }],
    ['a zero poll interval', { bundle: { url: 'https://x/b', poll_seconds: 0 } }],
    ['project_input that is not a boolean', { project_input: 'yes' }],
  ];
  for (const [name, input] of invalid) {
    it(`rejects ${name}`, () => assert.equal(policyConfigSchema.safeParse(input).success, false));
  }

  describe('runtime options', () => {
    let dir: string;
    let dispose: () => Promise<void>;
    before(async () => ({ dir, dispose } = await scratch()));
    after(() => dispose());

    it('builds a file source with paths relative to the config directory', async () => {
      const o = await policyRuntimeOptions(policyConfigSchema.parse({ bundle: { path: 'b.tar.gz' } }), dir);
      assert.ok(o.source instanceof FileBundleSource);
      assert.equal(o.source.location, join(dir, 'b.tar.gz'));
      assert.equal(o.verification, undefined);
      assert.deepEqual(o.engine, { maxMemoryBytes: 256 * 1024 * 1024, projectInput: true });
    });

    it('passes project_input: false to the engine', async () => {
      const o = await policyRuntimeOptions(policyConfigSchema.parse({ project_input: false }), dir);
      assert.equal(o.engine.projectInput, false);
    });

    it('builds an HTTP source and loads the verification key', async () => {
      const keys = await makeKeys(dir, 'k', 'ec');
      const o = await policyRuntimeOptions(
        policyConfigSchema.parse({ bundle: { url: 'http://127.0.0.1:1/b.tar.gz' }, verification: { public_key_file: keys.publicKey, key_id: 'ci' }, persist_dir: 'p' }),
        dir,
      );
      assert.ok(o.source instanceof HttpBundleSource);
      assert.equal(o.verification?.key.algorithm, 'ES256');
      assert.equal(o.verification?.keyId, 'ci');
      assert.equal(o.verification?.required, true);
    });

    it('fails with REGATE_ERR_BUNDLE_KEY when the key file is missing or not a key', async () => {
      const notKey = join(dir, 'not-a-key.pem');
      await writeFile(notKey, 'hello');
      for (const file of [join(dir, 'missing.pem'), notKey]) {
        await assert.rejects(policyRuntimeOptions(policyConfigSchema.parse({ verification: { public_key_file: file } }), dir), (err: unknown) => {
          assert.ok(err instanceof RegateError);
          assert.equal(err.code, 'REGATE_ERR_BUNDLE_KEY');
          return true;
        });
      }
    });
  });
});
