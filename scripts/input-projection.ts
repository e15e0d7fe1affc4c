/**
 * Records a policy's input projection in a bundle manifest (called by scripts/build-bundle.sh).
 *
 *   node scripts/input-projection.ts PLAN_JSON MANIFEST_JSON
 *
 * Reads the plan `opa build -t plan` produced for the same sources and entrypoint, derives the
 * input paths the policy can read (src/policy/projection/analyze-plan.ts), and writes them to
 * MANIFEST_JSON's metadata.regate.input_projection, keeping whatever else the manifest holds
 * (creating it if absent). When the analysis gives up, the manifest gets no projection and the
 * policy will see the whole input; the reason is printed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { analyzePlan } from '../src/policy/projection/analyze-plan.ts';
import { PROJECTION_METADATA_KEY } from '../src/policy/projection/projection.ts';

const [planPath, manifestPath] = process.argv.slice(2);
if (planPath === undefined || manifestPath === undefined) {
  process.stderr.write('usage: input-projection.ts PLAN_JSON MANIFEST_JSON\n');
  process.exit(2);
}

const analysis = analyzePlan(JSON.parse(await readFile(planPath, 'utf8')));
let manifest: Record<string, unknown> = {};
try {
  manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
const metadata = (manifest.metadata ?? {}) as Record<string, unknown>;
const regate = { ...((metadata.regate ?? {}) as Record<string, unknown>) };
delete regate[PROJECTION_METADATA_KEY];
if (analysis.projection !== undefined) {
  regate[PROJECTION_METADATA_KEY] = analysis.projection;
  process.stderr.write(`input-projection: the policy reads ${analysis.paths} input path(s); recorded in the manifest\n`);
} else {
  process.stderr.write(`input-projection: no projection (${analysis.reason}); the policy will see the whole input\n`);
}
const nextMetadata = { ...metadata, regate };
if (Object.keys(regate).length === 0) delete (nextMetadata as Record<string, unknown>).regate;
const next = { ...manifest, metadata: nextMetadata };
if (Object.keys(nextMetadata).length === 0) delete (next as Record<string, unknown>).metadata;
await writeFile(manifestPath, JSON.stringify(next));
