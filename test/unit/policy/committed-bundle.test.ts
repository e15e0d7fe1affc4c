import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readBundle } from '../../../src/policy/bundle/read-bundle.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { buildBundle, DEFAULT_REGO, REPO, scratch } from '../../fixtures/policy/bundles.ts';
import { readTarball } from '../../fixtures/policy/tarball.ts';

const COMMITTED = join(REPO, 'bundles/regate.tar.gz');
const REBUILD = 'run scripts/build-bundle.sh to rebuild bundles/regate.tar.gz from rego/';

/** scripts/build-bundle.sh's default revision: sha256 over sha256sum lines of the files opa bundles. */
async function sourceRevision(root: string): Promise<string> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.(rego|json|ya?ml)$/.test(e.name) && !e.name.endsWith('_test.rego')) files.push(relative(root, p));
    }
  };
  await walk(root);
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let listing = '';
  for (const f of files) listing += `${createHash('sha256').update(await readFile(join(root, f))).digest('hex')}  ${f}\n`;
  return `rego-${createHash('sha256').update(listing).digest('hex').slice(0, 12)}`;
}

describe('the committed default bundle (bundles/regate.tar.gz)', function () {
  this.timeout(30_000);
  let committed: Buffer;
  before(async () => {
    committed = await readFile(COMMITTED);
  });

  it('is named after the current rego/ sources', async () => {
    const bundle = await readBundle(committed);
    assert.equal(bundle.revision, await sourceRevision(DEFAULT_REGO), `rego/ changed since the bundle was built; ${REBUILD}`);
  });

  it('is byte for byte what opa builds from the current rego/ (policy.wasm, data.json, Rego, manifest)', async () => {
    const { dir, dispose } = await scratch();
    try {
      const { revision } = await readBundle(committed);
      const rebuilt = await buildBundle(dir, { revision });
      const files = (t: Buffer) => new Map(readTarball(t).map((f) => [f.name, createHash('sha256').update(f.data).digest('hex')]));
      assert.deepEqual(files(committed), files(rebuilt), `the committed bundle differs from a fresh build; ${REBUILD}`);
    } finally {
      await dispose();
    }
  });

  it('is unsigned, compiled for regate/decision, and decides', async () => {
    const bundle = await readBundle(committed);
    assert.equal(bundle.signed, false);
    const engine = await PolicyEngine.fromBundle(bundle);
    const d = engine.evaluate({ principal: { id: 'dev-user', groups: ['mcp-readers'] }, connection: { name: 'crm' }, mcp: { method: 'ping' } });
    assert.equal(d.rule, 'regate.protocol.plumbing');
  });
});
