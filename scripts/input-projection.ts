/**
 * Records a policy's input projection in a bundle manifest (called by scripts/build-bundle.sh).
 *
 *   node scripts/input-projection.ts PLAN_JSON MANIFEST_JSON BUNDLE_TARBALL
 *   node scripts/input-projection.ts --clear MANIFEST_JSON
 *
 * Reads the plan `opa build -t plan` produced for the sources and entrypoint, derives the input
 * paths the policy can read (src/policy/projection/analyze-plan.ts), and writes them to
 * MANIFEST_JSON's metadata.regate.input_projection together with the digest of the Rego modules
 * in BUNDLE_TARBALL, a bundle opa built from the same sources (opa rewrites modules when it bundles
 * them, so the digest is taken from what a bundle carries; metadata.regate.input_projection_rego,
 * checked when the bundle is read), keeping whatever else
 * the manifest holds (creating it if absent). When the analysis gives up, and with --clear, any
 * projection already in the manifest is removed: the policy will see the whole input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_MAX_BUNDLE_BYTES, unpackBundle } from '../src/policy/bundle/archive.ts';
import { analyzePlan } from '../src/policy/projection/analyze-plan.ts';
import { PROJECTION_METADATA_KEY, PROJECTION_SOURCE_KEY, regoDigest, type Projection } from '../src/policy/projection/projection.ts';

const args = process.argv.slice(2);
const clear = args[0] === '--clear';
const [planPath, manifestPath, bundlePath] = clear ? [undefined, args[1], undefined] : args;
if (manifestPath === undefined || (!clear && (planPath === undefined || bundlePath === undefined))) {
  process.stderr.write('usage: input-projection.ts PLAN_JSON MANIFEST_JSON BUNDLE_TARBALL | --clear MANIFEST_JSON\n');
  process.exit(2);
}

let projection: { value: Projection; digest: string } | undefined;
if (!clear) {
  const analysis = analyzePlan(JSON.parse(await readFile(planPath!, 'utf8')));
  if (analysis.projection !== undefined) {
    const files = unpackBundle(await readFile(bundlePath!), DEFAULT_MAX_BUNDLE_BYTES);
    projection = { value: analysis.projection, digest: regoDigest(files.map((f) => [f.path, f.data] as const)) };
    process.stderr.write(`input-projection: the policy reads ${analysis.paths} input path(s); recorded in the manifest\n`);
  } else {
    process.stderr.write(`input-projection: no projection (${analysis.reason}); the policy will see the whole input\n`);
  }
}

let manifest: Record<string, unknown> = {};
try {
  manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  if (projection === undefined) process.exit(0); // nothing to record, nothing to clear
}
const metadata = (manifest.metadata ?? {}) as Record<string, unknown>;
const regate = { ...((metadata.regate ?? {}) as Record<string, unknown>) };
delete regate[PROJECTION_METADATA_KEY];
delete regate[PROJECTION_SOURCE_KEY];
if (projection !== undefined) {
  regate[PROJECTION_METADATA_KEY] = projection.value;
  regate[PROJECTION_SOURCE_KEY] = projection.digest;
}
const nextMetadata: Record<string, unknown> = { ...metadata, regate };
if (Object.keys(regate).length === 0) delete nextMetadata.regate;
const next: Record<string, unknown> = { ...manifest, metadata: nextMetadata };
if (Object.keys(nextMetadata).length === 0) delete next.metadata;
await writeFile(manifestPath, JSON.stringify(next));
