import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../../fixtures/policy/bundles.ts';

const run = promisify(execFile);

describe('the Rego policy library (rego/)', function () {
  this.timeout(60_000);

  it('is formatted, passes opa check --strict and opa test, with at least 90% line coverage', async () => {
    const { stdout } = await run('bash', [join(REPO, 'scripts/test-rego.sh'), '--threshold', '90']);
    assert.match(stdout, /PASS: \d+\/\d+/);
    assert.match(stdout, /policy line coverage \d+\.\d% \(threshold 90%\)/);
  });
});
