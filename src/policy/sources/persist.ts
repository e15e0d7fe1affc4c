/**
 * The last bundle the HTTP source activated, kept on disk so that a regate that starts while the
 * bundle server is down still enforces the last good policy (OPA's bundle persistence).
 * Written atomically (temp file + rename); the ETag is kept with it for If-None-Match.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const BUNDLE_FILE = 'bundle.tar.gz';
const META_FILE = 'bundle.json';

export interface PersistedBundle {
  readonly bytes: Buffer;
  readonly url: string;
  readonly etag?: string;
  readonly savedAt: string;
}

async function writeAtomically(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

/** Saves a bundle and its origin; the metadata is written last so that a torn save reads as none. */
export async function saveBundle(dir: string, bundle: Omit<PersistedBundle, 'savedAt'>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, BUNDLE_FILE), bundle.bytes);
  const meta = { url: bundle.url, etag: bundle.etag, saved_at: new Date().toISOString(), bytes: bundle.bytes.length };
  await writeAtomically(join(dir, META_FILE), JSON.stringify(meta, null, 2));
}

/** Loads the saved bundle for `url`, or undefined when there is none (or it came from elsewhere). */
export async function loadBundle(dir: string, url: string): Promise<PersistedBundle | undefined> {
  let meta: { url?: unknown; etag?: unknown; saved_at?: unknown; bytes?: unknown };
  let bytes: Buffer;
  try {
    meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as typeof meta;
    bytes = await readFile(join(dir, BUNDLE_FILE));
  } catch {
    return undefined;
  }
  if (meta.url !== url || meta.bytes !== bytes.length) return undefined;
  return {
    bytes,
    url,
    ...(typeof meta.etag === 'string' ? { etag: meta.etag } : {}),
    savedAt: typeof meta.saved_at === 'string' ? meta.saved_at : '',
  };
}
