/**
 * Bundle signature verification, mirroring OPA's v1/bundle/verify.go and bundle.go so that a
 * bundle OPA accepts is accepted here and every bundle OPA refuses is refused:
 *   - `.signatures.json` holds exactly one JWS (compact) whose payload lists `{name, hash,
 *     algorithm}` for every file, plus `keyid` and `scope` claims;
 *   - the key id is the configured one, else the JWS `kid`, else the payload's `keyid`;
 *   - the JWS must verify with the configured key and algorithm, and the scope must match;
 *   - every file of the bundle must be listed and match its digest (structured files hashed in
 *     canonical form, see canonical-json.ts), and every listed file must be present.
 */
import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { RegateError } from '../../errors.ts';
import type { BundleFile } from './archive.ts';
import { canonicalJson, structuredText } from './canonical-json.ts';
import type { VerificationKey } from './keys.ts';
import { isRecord } from '../../util/is-record.ts';

export interface VerificationOptions {
  readonly key: VerificationKey;
  /** Key id the bundle must be verified with; when absent the JWS names it and it must be `default`. */
  readonly keyId?: string;
  /** Expected `scope` claim; OPA's default is the empty string. */
  readonly scope?: string;
  /** Refuse bundles without `.signatures.json`. */
  readonly required: boolean;
}

/** OPA's name for the key when a verification config does not name it (opa build's default kid). */
export const DEFAULT_KEY_ID = 'default';

/** OPA hashing algorithm names -> Node digest names. */
const HASHES: Readonly<Record<string, string>> = {
  'MD5': 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

/** Files OPA hashes in canonical JSON form rather than byte for byte (bundle.IsStructuredDoc). */
const STRUCTURED = new Set(['data.json', 'data.yaml', 'signatures.json', '.manifest']);

/** OPA treats any file whose name ends in `signatures.json` as the signatures file. */
export function isSignaturesFile(path: string): boolean {
  return path.endsWith('signatures.json');
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

interface SignedFile {
  readonly name: string;
  readonly hash: string;
  readonly algorithm: string;
}

function signatureError(detail: string, cause?: unknown): RegateError {
  return new RegateError('REGATE_ERR_BUNDLE_SIGNATURE', detail, cause === undefined ? undefined : { cause });
}

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (isRecord(value)) return value;
  } catch {
    // reported below
  }
  throw signatureError(`cannot decode the JWS ${what}`);
}

/** Digest of one bundle file as OPA computes it for signatures. */
export function fileDigest(path: string, data: Buffer, algorithm: string): string {
  const hashName = HASHES[algorithm];
  if (hashName === undefined) throw signatureError(`unsupported hashing algorithm ${algorithm} for file ${path}`);
  const hash = createHash(hashName);
  if (STRUCTURED.has(basename(path))) hash.update(canonicalJson(structuredText(data), path), 'utf8');
  else hash.update(data);
  return hash.digest('hex');
}

/** The signatures file content: `{signatures: [jws...], plugin?}`. */
export interface SignaturesConfig {
  readonly signatures?: readonly unknown[];
  readonly plugin?: string;
}

export function parseSignaturesFile(data: Buffer): SignaturesConfig {
  let value: unknown;
  try {
    value = JSON.parse(structuredText(data));
  } catch (err) {
    throw signatureError(`.signatures.json is not valid JSON: ${(err as Error).message}`, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw signatureError('.signatures.json is not a JSON object');
  const { signatures, plugin } = value as Record<string, unknown>;
  if (signatures !== undefined && signatures !== null && !Array.isArray(signatures)) throw signatureError('.signatures.json: signatures is not an array');
  if (plugin !== undefined && plugin !== null && typeof plugin !== 'string') throw signatureError('.signatures.json: plugin is not a string');
  return {
    ...(Array.isArray(signatures) ? { signatures } : {}),
    ...(typeof plugin === 'string' && plugin !== '' ? { plugin } : {}),
  };
}

/** OPA's SignaturesConfig.isEmpty: no signatures key at all and no plugin. */
export function signaturesEmpty(config: SignaturesConfig | undefined): boolean {
  return config === undefined || (config.signatures === undefined && config.plugin === undefined);
}

/** Verifies the JWS of `.signatures.json` and returns the files it covers, by name. */
export async function verifySignatures(config: SignaturesConfig, options: VerificationOptions): Promise<Map<string, SignedFile>> {
  if (config.plugin !== undefined && config.plugin !== '_default') {
    throw signatureError(`bundle was signed by plugin ${config.plugin}; regate only verifies OPA's default JWS signatures`);
  }
  const tokens = config.signatures ?? [];
  if (tokens.length === 0) throw signatureError('.signatures.json: missing JWT (expected exactly one)');
  if (tokens.length > 1) throw signatureError('.signatures.json: multiple JWTs not supported (expected exactly one)');
  const token = tokens[0];
  if (typeof token !== 'string') throw signatureError('.signatures.json: the JWT is not a string');

  const parts = token.split('.');
  if (parts.length !== 3) throw signatureError('.signatures.json: the JWT is not in compact form');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (err) {
    throw signatureError('cannot decode the JWS header', err);
  }
  const payload = decodeJsonPart(parts[1] ?? '', 'payload');

  const keyId =
    options.keyId ??
    (typeof header['kid'] === 'string' && header['kid'] !== '' ? header['kid'] : undefined) ??
    (typeof payload['keyid'] === 'string' && payload['keyid'] !== '' ? payload['keyid'] : undefined);
  if (keyId === undefined) throw signatureError('verification key ID is empty');
  const configuredId = options.keyId ?? DEFAULT_KEY_ID;
  if (keyId !== configuredId) {
    throw signatureError(`bundle was signed with key id '${keyId}', but the configured key is '${configuredId}' (set policy.verification.key_id)`);
  }

  try {
    await compactVerify(token, options.key.key, { algorithms: [options.key.algorithm] });
  } catch (err) {
    if (err instanceof joseErrors.JOSEAlgNotAllowed) {
      throw signatureError(`bundle was signed with ${String(header['alg'])}, but the configured key verifies ${options.key.algorithm}`, err);
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw signatureError('the JWS signature does not verify with the configured public key (wrong key, or a tampered .signatures.json)', err);
    }
    throw signatureError(`cannot verify the JWS: ${(err as Error).message}`, err);
  }

  const scope = typeof payload['scope'] === 'string' ? payload['scope'] : '';
  if (scope !== (options.scope ?? '')) throw signatureError('scope mismatch');

  const files = new Map<string, SignedFile>();
  const listed = payload['files'];
  if (listed !== undefined && listed !== null && !Array.isArray(listed)) throw signatureError('the JWS payload files claim is not an array');
  for (const f of (listed ?? []) as unknown[]) {
    const { name, hash, algorithm } = (f ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof hash !== 'string' || (algorithm !== undefined && typeof algorithm !== 'string')) {
      throw signatureError('the JWS payload lists a file without a name or hash');
    }
    files.set(name, { name, hash, algorithm: algorithm ?? '' });
  }
  return files;
}

/** Checks every file against the signed list (OPA's VerifyBundleFile loop and final leftover check). */
export function verifyFiles(files: readonly BundleFile[], signed: Map<string, SignedFile>): void {
  const remaining = new Map(signed);
  for (const file of files) {
    if (isSignaturesFile(file.path)) continue;
    const entry = remaining.get(file.path);
    if (entry === undefined) {
      throw new RegateError('REGATE_ERR_BUNDLE_UNSIGNED_FILE', `file ${file.path} is not included in the bundle signature (added after signing?)`);
    }
    if (entry.algorithm === '') throw signatureError(`no hashing algorithm provided for file ${file.path}`);
    const got = fileDigest(file.path, file.data, entry.algorithm);
    if (got !== entry.hash.toLowerCase()) {
      throw new RegateError('REGATE_ERR_BUNDLE_DIGEST', `${file.path}: digest mismatch (want: ${entry.hash}, got: ${got}); the file changed after signing`);
    }
    remaining.delete(file.path);
  }
  if (remaining.size > 0) {
    throw new RegateError(
      'REGATE_ERR_BUNDLE_FILE_MISSING',
      `file(s) ${[...remaining.keys()].sort().join(', ')} specified in the bundle signature but not found in the bundle (removed after signing?)`,
    );
  }
}
