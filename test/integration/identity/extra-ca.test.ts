import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestIssuer } from '../../helpers/issuer.ts';
import { testCa, type TestCa } from '../../helpers/test-ca.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./extra-ca-child.ts', import.meta.url));

describe('production trust path: the global fetch and NODE_EXTRA_CA_CERTS', () => {
  let ca: TestCa;
  let issuer: TestIssuer;
  let token: string;

  before(async () => {
    ca = await testCa();
    issuer = await TestIssuer.start({ ca });
    const now = Math.floor(Date.now() / 1000);
    token = await issuer.sign({ iss: issuer.url, aud: 'regate', sub: 'ci-child', iat: now, exp: now + 300 });
  });

  after(() => issuer.close());

  async function authenticateInChild(extraCa: string | undefined): Promise<{ ok: boolean; id?: string; code?: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, ISSUER_URL: issuer.url, TOKEN: token };
    delete env['NODE_EXTRA_CA_CERTS'];
    if (extraCa !== undefined) env['NODE_EXTRA_CA_CERTS'] = extraCa;
    const { stdout } = await run(process.execPath, [child], { env, timeout: 15_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { ok: boolean; id?: string; code?: string };
  }

  it('validates against the local HTTPS issuer when its CA is trusted through NODE_EXTRA_CA_CERTS', async () => {
    assert.deepEqual(await authenticateInChild(ca.caFile), { ok: true, id: 'ci-child' });
  });

  it('cannot fetch the keys without that trust (503, keys unavailable)', async () => {
    assert.deepEqual(await authenticateInChild(undefined), { ok: false, code: 'REGATE_ERR_AUTH_KEYS_UNAVAILABLE' });
  });
});
