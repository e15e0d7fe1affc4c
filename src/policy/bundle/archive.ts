/**
 * Unpacks a bundle tarball (gzip + tar) into its regular files, the way OPA's tarball loader
 * does: directories, links and other entry types are ignored, names are kept as written (OPA
 * writes them with a leading '/').
 */
import { gunzipSync } from 'node:zlib';
import { RegateError } from '../../errors.ts';
import { readTar } from './tar.ts';

/** Decompressed bytes allowed by default; a guard against gzip bombs (OPA's own limit is 1 GiB). */
export const DEFAULT_MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export interface BundleFile {
  /** Path inside the bundle without the leading '/', e.g. `policy.wasm`, `regate/tools.rego`. */
  readonly path: string;
  readonly data: Buffer;
}

/** Gunzips and untars a bundle; throws REGATE_ERR_BUNDLE_ARCHIVE / _TOO_LARGE / _FORMAT. */
export function unpackBundle(tarball: Buffer, maxBytes: number = DEFAULT_MAX_BUNDLE_BYTES): BundleFile[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(tarball, { maxOutputLength: maxBytes });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RegateError('REGATE_ERR_BUNDLE_TOO_LARGE', `more than ${maxBytes} bytes once decompressed`, { cause: err });
    }
    throw new RegateError('REGATE_ERR_BUNDLE_ARCHIVE', `gzip: ${(err as Error).message}`, { cause: err });
  }
  const files: BundleFile[] = [];
  const seen = new Set<string>();
  for (const entry of readTar(tar)) {
    if (entry.type !== 'file') continue;
    // OPA verifies signatures against the name with one leading '/' removed.
    const path = entry.name.startsWith('/') ? entry.name.slice(1) : entry.name;
    // OPA would keep both copies (and merge duplicate data files); one name, one content is simpler to audit.
    if (seen.has(path)) throw new RegateError('REGATE_ERR_BUNDLE_FORMAT', `file ${path} appears twice in the archive`);
    seen.add(path);
    files.push({ path, data: entry.data });
  }
  return files;
}
