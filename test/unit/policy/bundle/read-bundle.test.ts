import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { RegateError, type ErrorCode } from '../../../../src/errors.ts';
import { parseVerificationKey } from '../../../../src/policy/bundle/keys.ts';
import { readBundle } from '../../../../src/policy/bundle/read-bundle.ts';
import type { VerificationOptions } from '../../../../src/policy/bundle/verify.ts';
import { buildBundle, buildWithEntrypoint, FIXTURE_REGO, makeKeys, OPA, scratch, type KeyFiles } from '../../../fixtures/policy/bundles.ts';
import { readTarball, repack, replaceFile, writeTarball } from '../../../fixtures/policy/tarball.ts';

const run = promisify(execFile);

async function refused(promise: Promise<unknown>, code: ErrorCode, detail: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof RegateError, `expected a RegateError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, detail);
    return true;
  });
}

/** Whether the real opa accepts the bundle under the same key (opa build -b verifies signatures). */
async function opaAccepts(dir: string, tarball: Buffer, key: KeyFiles, alg: string): Promise<boolean> {
  const path = join(dir, `opa-check-${Math.random().toString(36).slice(2)}.tar.gz`);
  await writeFile(path, tarball);
  try {
    await run(OPA, ['build', '-b', path, '--verification-key', key.publicKey, '--signing-alg', alg, '-o', `${path}.out`]);
    return true;
  } catch {
    return false;
  }
}

describe('policy bundles: reading and verifying a tarball', function () {
  this.timeout(60_000);
  let dir: string;
  let dispose: () => Promise<void>;
  let rsa: KeyFiles;
  let ec: KeyFiles;
  let otherRsa: KeyFiles;
  let rsSigned: Buffer;
  let esSigned: Buffer;
  let unsigned: Buffer;
  let scoped: Buffer;
  let forms: Buffer;
  let rsaVerify: VerificationOptions;
  let ecVerify: VerificationOptions;

  before(async () => {
    ({ dir, dispose } = await scratch());
    [rsa, ec, otherRsa] = await Promise.all([makeKeys(dir, 'rsa', 'rsa'), makeKeys(dir, 'ec', 'ec'), makeKeys(dir, 'other', 'rsa')]);
    const claims = join(dir, 'claims.json');
    await writeFile(claims, JSON.stringify({ scope: 'prod' }));
    [rsSigned, esSigned, unsigned, scoped, forms] = await Promise.all([
      buildBundle(dir, { revision: 'rs-1', signingKey: rsa.privateKey }),
      buildBundle(dir, { revision: 'es-1', signingKey: ec.privateKey, signingAlg: 'ES256', keyId: 'ci' }),
      buildBundle(dir, { revision: 'plain-1' }),
      buildBundle(dir, { revision: 'scoped-1', signingKey: rsa.privateKey, claimsFile: claims }),
      buildBundle(dir, { source: join(FIXTURE_REGO, 'json-forms'), revision: 'forms-1', signingKey: rsa.privateKey }),
    ]);
    rsaVerify = { key: parseVerificationKey(rsa.publicPem), required: true };
    ecVerify = { key: parseVerificationKey(ec.publicPem), keyId: 'ci', required: true };
  });
  after(() => dispose());

  describe('signed bundles that verify', () => {
    it('accepts an RS256 bundle and exposes manifest, wasm and data', async () => {
      const b = await readBundle(rsSigned, { verification: rsaVerify });
      assert.equal(b.signed, true);
      assert.equal(b.revision, 'rs-1');
      assert.deepEqual(b.manifest.wasm, [{ entrypoint: 'regate/decision', module: '/policy.wasm' }]);
      assert.deepEqual(b.wasm.subarray(0, 4), Buffer.from('\0asm'));
      assert.deepEqual((b.data as { regate: { config: { groups: unknown } } }).regate.config.groups, {
        readers: ['mcp-readers'],
        approvers: ['mcp-approvers'],
        auditors: ['mcp-auditors'],
      });
      assert.ok(b.files.has('.signatures.json') && b.files.has('regate/tools.rego'));
    });

    it('accepts an ES256 bundle signed under a named key id', async () => {
      const b = await readBundle(esSigned, { verification: ecVerify });
      assert.equal(b.signed, true);
      assert.equal(b.revision, 'es-1');
    });

    it('infers the algorithm from the key: ES256 for P-256, RS256 for RSA', () => {
      assert.equal(parseVerificationKey(ec.publicPem).algorithm, 'ES256');
      assert.equal(parseVerificationKey(rsa.publicPem).algorithm, 'RS256');
    });

    it('accepts a private key file in place of the public key, as OPA does', async () => {
      const { readFile } = await import('node:fs/promises');
      const key = parseVerificationKey(await readFile(rsa.privateKey, 'utf8'));
      assert.equal((await readBundle(rsSigned, { verification: { key, required: true } })).signed, true);
    });

    it('accepts the claimed scope when it is the configured one', async () => {
      // opa build writes no key id at all when given a claims file, so the key id must be configured.
      const b = await readBundle(scoped, { verification: { ...rsaVerify, keyId: 'default', scope: 'prod' } });
      assert.equal(b.revision, 'scoped-1');
    });

    it('hashes data.json in OPA canonical form: numbers as written, keys bytewise, Go escaping', async () => {
      const b = await readBundle(forms, { verification: rsaVerify });
      assert.equal(b.signed, true);
      // The data handed to the engine keeps the big integer exactly.
      assert.match(b.dataJson, /12345678901234567890/);
    });
  });

  describe('tampering, each refused with a precise reason (and refused by opa too)', () => {
    const cases: { name: string; tamper: () => Buffer; code: ErrorCode; detail: RegExp }[] = [
      {
        name: 'a changed policy.wasm',
        tamper: () => replaceFile(rsSigned, 'policy.wasm', (d) => Buffer.concat([d, Buffer.from([0])])),
        code: 'REGATE_ERR_BUNDLE_DIGEST',
        detail: /policy\.wasm: digest mismatch/,
      },
      {
        name: 'a changed data.json',
        tamper: () =>
          replaceFile(rsSigned, 'data.json', (d) => Buffer.from(d.toString().replace('"mcp-approvers"', '"everyone"'))),
        code: 'REGATE_ERR_BUNDLE_DIGEST',
        detail: /data\.json: digest mismatch/,
      },
      {
        name: 'a changed .manifest (revision)',
        tamper: () => replaceFile(rsSigned, '.manifest', (d) => Buffer.from(d.toString().replace('rs-1', 'rs-2'))),
        code: 'REGATE_ERR_BUNDLE_DIGEST',
        detail: /\.manifest: digest mismatch/,
      },
      {
        name: 'a changed Rego file',
        tamper: () => replaceFile(rsSigned, 'regate/tools.rego', (d) => Buffer.concat([d, Buffer.from('\n# x\n')])),
        code: 'REGATE_ERR_BUNDLE_DIGEST',
        detail: /regate\/tools\.rego: digest mismatch/,
      },
      {
        name: 'an added file',
        tamper: () => repack(rsSigned, (files) => [...files, { name: '/extra/data.json', data: Buffer.from('{"x": 1}') }]),
        code: 'REGATE_ERR_BUNDLE_UNSIGNED_FILE',
        detail: /extra\/data\.json is not included in the bundle signature/,
      },
      {
        name: 'a removed file',
        tamper: () => repack(rsSigned, (files) => files.filter((f) => f.name !== '/regate/approval.rego')),
        code: 'REGATE_ERR_BUNDLE_FILE_MISSING',
        detail: /regate\/approval\.rego specified in the bundle signature but not found/,
      },
      {
        name: 'a tampered signature payload',
        tamper: () =>
          replaceFile(rsSigned, '.signatures.json', (d) => {
            const sig = JSON.parse(d.toString()) as { signatures: string[] };
            const [h, p, s] = sig.signatures[0]!.split('.');
            const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { files: { name: string; hash: string }[] };
            payload.files = payload.files.filter((f) => f.name !== 'policy.wasm');
            sig.signatures[0] = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
            return Buffer.from(JSON.stringify(sig));
          }),
        code: 'REGATE_ERR_BUNDLE_SIGNATURE',
        detail: /does not verify/,
      },
      {
        name: 'two signatures',
        tamper: () =>
          replaceFile(rsSigned, '.signatures.json', (d) => {
            const sig = JSON.parse(d.toString()) as { signatures: string[] };
            return Buffer.from(JSON.stringify({ ...sig, signatures: [sig.signatures[0], sig.signatures[0]] }));
          }),
        code: 'REGATE_ERR_BUNDLE_SIGNATURE',
        detail: /multiple JWTs not supported/,
      },
      {
        name: 'an empty signature list',
        tamper: () => replaceFile(rsSigned, '.signatures.json', () => Buffer.from('{"signatures": []}')),
        code: 'REGATE_ERR_BUNDLE_SIGNATURE',
        detail: /missing JWT/,
      },
      {
        name: 'a data.json number rewritten in another form (1.50 -> 1.5 is another json.Number)',
        tamper: () => replaceFile(forms, 'data.json', (d) => Buffer.from(d.toString().replace('1.50', '1.5'))),
        code: 'REGATE_ERR_BUNDLE_DIGEST',
        detail: /data\.json: digest mismatch/,
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const tampered = c.tamper();
        await refused(readBundle(tampered, { verification: rsaVerify }), c.code, c.detail);
        assert.equal(await opaAccepts(dir, tampered, rsa, 'RS256'), false, 'opa accepted it');
      });
    }

    it('accepts data.json re-serialised with other whitespace, key order and escapes, like opa', async () => {
      const reformatted = replaceFile(forms, 'data.json', (d) => {
        // Same JSON value, different bytes: pretty-printed, keys reversed, "<" written as \u003c.
        const reorder = (v: unknown): unknown =>
          Array.isArray(v) ? v.map(reorder)
          : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)]))
          : v;
        const text = d.toString();
        const pretty = JSON.stringify(reorder(JSON.parse(text)), null, 3).replaceAll('<', '\\u003c');
        // JSON.parse lost the number literals; put the original ones back.
        return Buffer.from(pretty.replace(/"numbers": \[[^\]]*\]/, '"numbers": [1.50, 1e3, -0, 12345678901234567890, 0.1, 2E-7]'));
      });
      assert.notDeepEqual(readTarball(reformatted).find((f) => f.name === '/data.json')!.data, readTarball(forms).find((f) => f.name === '/data.json')!.data);
      assert.equal((await readBundle(reformatted, { verification: rsaVerify })).signed, true);
      assert.equal(await opaAccepts(dir, reformatted, rsa, 'RS256'), true);
    });
  });

  describe('keys, key ids, scopes and algorithms', () => {
    it('refuses a bundle signed by another key', async () => {
      const verification = { key: parseVerificationKey(otherRsa.publicPem), required: true };
      await refused(readBundle(rsSigned, { verification }), 'REGATE_ERR_BUNDLE_SIGNATURE', /does not verify with the configured public key/);
      assert.equal(await opaAccepts(dir, rsSigned, otherRsa, 'RS256'), false);
    });

    it('refuses a bundle signed with another algorithm than the key verifies', async () => {
      await refused(readBundle(esSigned, { verification: { ...rsaVerify, keyId: 'ci' } }), 'REGATE_ERR_BUNDLE_SIGNATURE', /signed with ES256, but the configured key verifies RS256/);
    });

    it('refuses a bundle whose key id is not the configured one', async () => {
      await refused(readBundle(esSigned, { verification: { ...ecVerify, keyId: undefined } as VerificationOptions }), 'REGATE_ERR_BUNDLE_SIGNATURE', /signed with key id 'ci', but the configured key is 'default'/);
    });

    it('uses the configured key id whatever the token names (OPA: the configured keyid wins)', async () => {
      const b = await readBundle(rsSigned, { verification: { ...rsaVerify, keyId: 'anything' } });
      assert.equal(b.signed, true);
    });

    it('refuses a token that names no key id when none is configured, as OPA does', async () => {
      await refused(readBundle(scoped, { verification: rsaVerify }), 'REGATE_ERR_BUNDLE_SIGNATURE', /verification key ID is empty/);
    });

    it('refuses a scope that is not the configured one', async () => {
      await refused(readBundle(scoped, { verification: { ...rsaVerify, keyId: 'default' } }), 'REGATE_ERR_BUNDLE_SIGNATURE', /scope mismatch/);
      await refused(readBundle(rsSigned, { verification: { ...rsaVerify, scope: 'prod' } }), 'REGATE_ERR_BUNDLE_SIGNATURE', /scope mismatch/);
    });
  });

  describe('unsigned bundles', () => {
    it('refuses an unsigned bundle when verification is required', async () => {
      await refused(readBundle(unsigned, { verification: rsaVerify }), 'REGATE_ERR_BUNDLE_UNSIGNED', /no \.signatures\.json/);
      assert.equal(await opaAccepts(dir, unsigned, rsa, 'RS256'), false);
    });

    it('accepts an unsigned bundle when a key is configured but not required', async () => {
      const b = await readBundle(unsigned, { verification: { ...rsaVerify, required: false } });
      assert.equal(b.signed, false);
      assert.equal(b.revision, 'plain-1');
    });

    it('accepts an unsigned bundle without verification configured', async () => {
      assert.equal((await readBundle(unsigned)).signed, false);
    });

    it('refuses a signed bundle when no key is configured, as OPA does', async () => {
      await refused(readBundle(rsSigned), 'REGATE_ERR_BUNDLE_SIGNATURE', /signed but no verification key is configured/);
    });

    it('still checks a signed bundle when signatures are not required', async () => {
      const tampered = replaceFile(rsSigned, 'policy.wasm', (d) => Buffer.concat([d, Buffer.from([0])]));
      await refused(readBundle(tampered, { verification: { ...rsaVerify, required: false } }), 'REGATE_ERR_BUNDLE_DIGEST', /policy\.wasm/);
    });
  });

  describe('broken and incomplete bundles', () => {
    it('refuses bytes that are not gzip', async () => {
      await refused(readBundle(Buffer.from('not a bundle')), 'REGATE_ERR_BUNDLE_ARCHIVE', /gzip/);
    });

    it('refuses a truncated tarball', async () => {
      await refused(readBundle(unsigned.subarray(0, Math.floor(unsigned.length / 2))), 'REGATE_ERR_BUNDLE_ARCHIVE', /gzip/);
    });

    it('refuses a tar whose header checksum is wrong', async () => {
      const { gunzipSync } = await import('node:zlib');
      const tar = gunzipSync(unsigned);
      tar[0] = tar[0]! ^ 0x01; // flip a bit of the first file name
      await refused(readBundle(gzipSync(tar)), 'REGATE_ERR_BUNDLE_ARCHIVE', /checksum mismatch/);
    });

    it('refuses a bundle without policy.wasm', async () => {
      const noWasm = repack(unsigned, (files) => files.filter((f) => f.name !== '/policy.wasm'));
      await refused(readBundle(noWasm), 'REGATE_ERR_BUNDLE_NO_POLICY', /no policy\.wasm/);
    });

    it('refuses a bundle compiled for another entrypoint', async () => {
      const other = await buildWithEntrypoint(dir, join(FIXTURE_REGO, 'other-entrypoint'), 'other/allow');
      await refused(readBundle(other), 'REGATE_ERR_BUNDLE_NO_POLICY', /no module for regate\/decision/);
    });

    it('refuses a bundle larger than the limit once decompressed', async () => {
      await refused(readBundle(unsigned, { maxBytes: 10_000 }), 'REGATE_ERR_BUNDLE_TOO_LARGE', /more than 10000 bytes/);
    });

    it('refuses malformed data.json and manifest', async () => {
      await refused(readBundle(replaceFile(unsigned, 'data.json', () => Buffer.from('{"a": '))), 'REGATE_ERR_BUNDLE_FORMAT', /data\.json is not valid JSON/);
      await refused(readBundle(replaceFile(unsigned, '.manifest', () => Buffer.from('{"revision": 7}'))), 'REGATE_ERR_BUNDLE_FORMAT', /revision is not a string/);
    });

    it('refuses a file that appears twice', async () => {
      const twice = repack(unsigned, (files) => [...files, files.find((f) => f.name === '/data.json')!]);
      await refused(readBundle(twice), 'REGATE_ERR_BUNDLE_FORMAT', /appears twice/);
    });

    it('merges data.json files found in directories at their path, as OPA does', async () => {
      const nested = repack(unsigned, (files) => [...files, { name: '/extra/more/data.json', data: Buffer.from('{"k": 1}') }]);
      const b = await readBundle(nested);
      assert.deepEqual((b.data as { extra: unknown }).extra, { more: { k: 1 } });
      assert.deepEqual(JSON.parse(b.dataJson).extra, { more: { k: 1 } });
    });

    it('reads a bundle without a manifest as revision ""', async () => {
      const noManifest = writeTarball(readTarball(unsigned).filter((f) => f.name !== '/.manifest'));
      assert.equal((await readBundle(noManifest)).revision, '');
    });
  });

  describe('the input projection in the manifest', () => {
    const editManifest = (tarball: Buffer, edit: (m: Record<string, unknown>) => void) =>
      replaceFile(tarball, '.manifest', (data) => {
        const m = JSON.parse(data.toString()) as Record<string, unknown>;
        edit(m);
        return Buffer.from(JSON.stringify(m));
      });

    it('exposes the projection build-bundle.sh recorded, and none when built without it', async () => {
      const b = await readBundle(rsSigned, { verification: rsaVerify });
      assert.deepEqual((b.inputProjection as { connection: unknown }).connection, { name: true });
      const without = await readBundle(await buildBundle(dir, { revision: 'plain-2', noProjection: true }));
      assert.equal(without.inputProjection, undefined);
      assert.equal(without.manifest.metadata, undefined);
    });

    it('refuses a signed bundle whose projection was changed (the manifest is signed)', async () => {
      // Widening or narrowing what the policy sees would change decisions, so it must be covered.
      const altered = editManifest(rsSigned, (m) => ((m.metadata as { regate: { input_projection: unknown } }).regate.input_projection = { principal: true }));
      await refused(readBundle(altered, { verification: rsaVerify }), 'REGATE_ERR_BUNDLE_DIGEST', /\.manifest: digest mismatch/);
    });

    it('refuses a projection derived from other Rego than the bundle carries', async () => {
      // Keeping the manifest but changing a module: the projection no longer describes the policy.
      const changed = replaceFile(unsigned, 'regate/tools.rego', (data) => Buffer.concat([data, Buffer.from('\n# changed\n')]));
      await refused(readBundle(changed), 'REGATE_ERR_BUNDLE_FORMAT', /derived from other Rego than this bundle carries; rebuild it with scripts\/build-bundle\.sh/);
      const undigested = editManifest(unsigned, (m) => delete (m.metadata as { regate: Record<string, unknown> }).regate.input_projection_rego);
      await refused(readBundle(undigested), 'REGATE_ERR_BUNDLE_FORMAT', /derived from other Rego/);
    });

    it('leaves out a projection an earlier build left in the source manifest when built without one', async () => {
      const src = join(dir, 'stale-src');
      await cp(join(FIXTURE_REGO, 'reads-arguments'), src, { recursive: true });
      await writeFile(join(src, '.manifest'), JSON.stringify({ metadata: { regate: { input_projection: { connection: true }, input_projection_rego: 'sha256:x', team: 'kept' } } }));
      const b = await readBundle(await buildBundle(dir, { source: src, revision: 'stale-1', noProjection: true }));
      assert.equal(b.inputProjection, undefined);
      assert.deepEqual(b.manifest.metadata, { regate: { team: 'kept' } });
    });

    it('refuses a malformed projection instead of guessing', async () => {
      const bad = editManifest(unsigned, (m) => ((m.metadata as { regate: { input_projection: unknown } }).regate.input_projection = { mcp: 'all' }));
      await refused(readBundle(bad), 'REGATE_ERR_BUNDLE_FORMAT', /input_projection is malformed: input\.mcp is neither true nor an object/);
      const notObject = editManifest(unsigned, (m) => (m.metadata = { regate: 'x' }));
      await refused(readBundle(notObject), 'REGATE_ERR_BUNDLE_FORMAT', /metadata\.regate is not an object/);
    });
  });
});
