/**
 * Turns a bundle tarball into what the engine needs (manifest, policy.wasm, data), verifying its
 * signature first when there is one, as OPA's bundle reader does. Every refusal is a
 * RegateError with a REGATE_ERR_BUNDLE_* code and a reason an operator can act on.
 */
import { RegateError } from '../../errors.ts';
import { DEFAULT_MAX_BUNDLE_BYTES, unpackBundle, type BundleFile } from './archive.ts';
import { parseProjection, PROJECTION_METADATA_KEY, PROJECTION_SOURCE_KEY, regoDigest, type Projection } from '../projection/projection.ts';
import { structuredText } from './canonical-json.ts';
import {
  isSignaturesFile, parseSignaturesFile, signaturesEmpty, verifyFiles, verifySignatures,
  type SignaturesConfig, type VerificationOptions,
} from './verify.ts';
import { isRecord } from '../../util/is-record.ts';

/** The entrypoint regate evaluates. */
export const DECISION_ENTRYPOINT = 'regate/decision';

export interface Manifest {
  readonly revision: string;
  readonly roots?: readonly string[];
  readonly wasm?: readonly { readonly entrypoint: string; readonly module: string }[];
  readonly rego_version?: number;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface Bundle {
  readonly manifest: Manifest;
  /** The manifest revision ('' when the bundle has none). */
  readonly revision: string;
  readonly wasm: Buffer;
  /** The bundle's data document (all data.json files merged at their directories). */
  readonly data: Readonly<Record<string, unknown>>;
  /** The same data as JSON text, handed to the WASM module unparsed so numbers keep full precision. */
  readonly dataJson: string;
  /** Every regular file of the bundle by path (no leading '/'), signatures file included. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** True when the bundle carried a signature and it verified. */
  readonly signed: boolean;
  /**
   * The input paths the policy can read (manifest metadata.regate.input_projection, written by
   * scripts/build-bundle.sh); absent when the bundle has none, and the policy then sees all input.
   */
  readonly inputProjection?: Projection;
}

export interface ReadBundleOptions {
  /** Absent: unsigned bundles are accepted and signed ones refused (no key to check them), as in OPA. */
  readonly verification?: VerificationOptions;
  readonly maxBytes?: number;
}

function format(detail: string): RegateError {
  return new RegateError('REGATE_ERR_BUNDLE_FORMAT', detail);
}

function parseJsonFile(file: BundleFile): unknown {
  try {
    return JSON.parse(structuredText(file.data));
  } catch (err) {
    throw format(`${file.path} is not valid JSON: ${(err as Error).message}`);
  }
}

function parseManifest(file: BundleFile | undefined): Manifest {
  if (file === undefined) return { revision: '' };
  const m = parseJsonFile(file);
  if (!isRecord(m)) throw format('.manifest is not a JSON object');
  const revision = m['revision'] ?? '';
  if (typeof revision !== 'string') throw format('.manifest revision is not a string');
  const wasm = m['wasm'];
  if (wasm !== undefined && wasm !== null) {
    const ok = Array.isArray(wasm) && wasm.every((w) => isRecord(w) && typeof w['module'] === 'string' && (w['entrypoint'] === undefined || typeof w['entrypoint'] === 'string'));
    if (!ok) throw format('.manifest wasm must be a list of {entrypoint, module}');
  }
  return { ...(m as object), revision } as Manifest;
}

/** Deep-merges b into a (OPA's merge.InterfaceMaps); a non-object clash is an error. */
function merge(a: Record<string, unknown>, b: Record<string, unknown>, at: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (isRecord(prev) && isRecord(v)) out[k] = merge(prev, v, `${at}/${k}`);
    else throw format(`data files conflict at ${at}/${k}`);
  }
  return out;
}

function collectData(files: readonly BundleFile[]): { data: Record<string, unknown>; dataJson: string } {
  let data: Record<string, unknown> = {};
  let single: string | undefined;
  let count = 0;
  for (const file of files) {
    const base = file.path.slice(file.path.lastIndexOf('/') + 1);
    if (base === 'data.yaml' || base === 'data.yml') throw format(`${file.path}: YAML data files are not supported; use data.json`);
    if (base !== 'data.json') continue;
    const value = parseJsonFile(file);
    // A data file lives at its directory's path in the data document (OPA's getNormalizedPath).
    const dir = file.path.slice(0, Math.max(0, file.path.lastIndexOf('/'))).replace(/^[/.]+/, '');
    const keys = dir === '' ? [] : dir.split('/');
    if (keys.length === 0 && !isRecord(value)) throw format(`${file.path}: root value must be an object`);
    let tree: unknown = value;
    for (const key of [...keys].reverse()) tree = { [key]: tree };
    data = merge(data, tree as Record<string, unknown>, '');
    count++;
    if (keys.length === 0) single = structuredText(file.data);
  }
  return { data, dataJson: count === 1 && single !== undefined ? single : JSON.stringify(data) };
}

function projectionOf(manifest: Manifest, files: ReadonlyMap<string, Buffer>): Projection | undefined {
  const regate = manifest.metadata?.['regate'];
  if (regate === undefined) return undefined;
  if (!isRecord(regate)) throw format('.manifest metadata.regate is not an object');
  const p = regate[PROJECTION_METADATA_KEY];
  if (p === undefined) return undefined;
  const projection = parseProjection(p);
  // A projection only describes the Rego it was derived from; for any other policy it could hide
  // input that policy reads, so a mismatch refuses the bundle rather than guessing.
  if (regate[PROJECTION_SOURCE_KEY] !== regoDigest(files)) {
    throw format(`.manifest metadata.regate.${PROJECTION_METADATA_KEY} was derived from other Rego than this bundle carries; rebuild it with scripts/build-bundle.sh`);
  }
  return projection;
}

function wasmModulePath(manifest: Manifest): string {
  const resolvers = manifest.wasm ?? [];
  if (resolvers.length === 0) return 'policy.wasm';
  const match = resolvers.find((r) => r.entrypoint === DECISION_ENTRYPOINT);
  if (match === undefined) {
    throw new RegateError('REGATE_ERR_BUNDLE_NO_POLICY', `the manifest lists no module for ${DECISION_ENTRYPOINT} (entrypoints: ${resolvers.map((r) => r.entrypoint).join(', ')})`);
  }
  return match.module.replace(/^\//, '');
}

/** Reads and (when signed or required) verifies a bundle tarball. */
export async function readBundle(tarball: Buffer, options: ReadBundleOptions = {}): Promise<Bundle> {
  const files = unpackBundle(tarball, options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES);
  const byPath = new Map(files.map((f) => [f.path, f.data] as const));

  let signatures: SignaturesConfig | undefined;
  for (const f of files) if (isSignaturesFile(f.path)) signatures = parseSignaturesFile(f.data);
  if (files.some((f) => f.path === 'patch.json' || f.path.endsWith('/patch.json'))) throw format('delta bundles (patch.json) are not supported');

  const { verification } = options;
  let signed = false;
  if (signaturesEmpty(signatures)) {
    if (verification?.required) {
      throw new RegateError('REGATE_ERR_BUNDLE_UNSIGNED', 'the bundle has no .signatures.json; build it with scripts/build-bundle.sh --signing-key');
    }
  } else {
    if (verification === undefined) {
      throw new RegateError('REGATE_ERR_BUNDLE_SIGNATURE', 'the bundle is signed but no verification key is configured (set policy.verification.public_key_file)');
    }
    const covered = await verifySignatures(signatures as SignaturesConfig, verification);
    verifyFiles(files, covered);
    signed = true;
  }

  const manifest = parseManifest(files.find((f) => f.path === '.manifest'));
  const modulePath = wasmModulePath(manifest);
  const wasm = byPath.get(modulePath);
  if (wasm === undefined) throw new RegateError('REGATE_ERR_BUNDLE_NO_POLICY', `the bundle has no ${modulePath}`);
  const { data, dataJson } = collectData(files);
  const inputProjection = projectionOf(manifest, byPath);
  return { manifest, revision: manifest.revision, wasm, data, dataJson, files: byPath, signed, ...(inputProjection ? { inputProjection } : {}) };
}
