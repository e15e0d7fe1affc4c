import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegateError } from '../../../../src/errors.ts';
import { readTar } from '../../../../src/policy/bundle/tar.ts';
import { scratch } from '../../../fixtures/policy/bundles.ts';

const run = promisify(execFile);
const LONG = `${'deep/'.repeat(30)}policy.wasm`; // 161 characters: needs a long-name extension

describe('policy bundles: the tar reader', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  const archives: Record<string, Buffer> = {};

  before(async () => {
    ({ dir, dispose } = await scratch('regate-tar-'));
    const root = join(dir, 'root');
    await mkdir(join(root, LONG, '..'), { recursive: true });
    await writeFile(join(root, 'data.json'), '{"a": 1}');
    await writeFile(join(root, LONG), Buffer.from([0, 0x61, 0x73, 0x6d]));
    await writeFile(join(root, 'empty'), '');
    await symlink('data.json', join(root, 'link.json'));
    for (const format of ['gnu', 'pax', 'ustar'] as const) {
      const out = join(dir, `${format}.tar`);
      const files = format === 'ustar' ? ['data.json', 'empty', 'link.json'] : ['data.json', 'empty', 'link.json', LONG];
      await run('tar', [`--format=${format}`, '-cf', out, '-C', root, ...files]);
      archives[format] = await readFile(out);
    }
  });
  after(() => dispose());

  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads a ${format} archive made by GNU tar, files with their content and links as 'other'`, () => {
      const entries = readTar(archives[format]!);
      const byName = new Map(entries.map((e) => [e.name, e]));
      assert.deepEqual(byName.get('data.json')?.data.toString(), '{"a": 1}');
      assert.equal(byName.get('data.json')?.type, 'file');
      assert.equal(byName.get('empty')?.data.length, 0);
      assert.equal(byName.get('link.json')?.type, 'other');
      if (format !== 'ustar') assert.deepEqual(byName.get(LONG)?.data, Buffer.from([0, 0x61, 0x73, 0x6d]));
    });
  }

  it('reads an empty archive as no entries', () => {
    assert.deepEqual(readTar(Buffer.alloc(0)), []);
    assert.deepEqual(readTar(Buffer.alloc(1024)), []);
  });

  const broken: { name: string; bytes: () => Buffer; detail: RegExp }[] = [
    {
      name: 'a header whose checksum does not match',
      bytes: () => {
        const b = Buffer.from(archives['ustar']!);
        b[10] = 0x7a;
        return b;
      },
      detail: /checksum mismatch at offset 0/,
    },
    { name: 'an entry cut short', bytes: () => archives['ustar']!.subarray(0, 512 + 3), detail: /truncated/ },
    {
      name: 'a partial block at the end',
      bytes: () => Buffer.concat([archives['ustar']!.subarray(0, 1024), Buffer.from('xyz')]),
      detail: /middle of a block/,
    },
  ];
  for (const c of broken) {
    it(`refuses ${c.name}`, () => {
      assert.throws(() => readTar(c.bytes()), (err: unknown) => {
        assert.ok(err instanceof RegateError);
        assert.equal(err.code, 'REGATE_ERR_BUNDLE_ARCHIVE');
        assert.match(err.message, c.detail);
        return true;
      });
    });
  }
});
