import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { RegateError } from '../errors.ts';

/** The dev provider's signing key pair. */
export interface DevKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

export const devAlgorithm = 'ES256';

/** A fresh in-memory key: tokens die with the process (only it can mint and check them). */
export async function ephemeralDevKey(): Promise<DevKey> {
  const { privateKey, publicKey } = await generateKeyPair(devAlgorithm, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { kid: await calculateJwkThumbprint(jwk), privateKey, publicKey };
}

/**
 * Loads the dev key from a private JWK file, creating it (mode 0600) if absent, so that
 * `regate serve` and `regate token` in separate processes agree on the key.
 */
export async function loadOrCreateDevKey(file: string): Promise<DevKey> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RegateError('REGATE_ERR_CONFIG_READ', `dev key ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (text === undefined) {
    const { privateKey } = await generateKeyPair(devAlgorithm, { extractable: true });
    const jwk = await exportJWK(privateKey);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    try {
      // `wx`: if another process created the file meanwhile, use theirs rather than overwrite it.
      await writeFile(file, `${JSON.stringify({ ...jwk, alg: devAlgorithm, use: 'sig' }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    text = await readFile(file, 'utf8');
  }
  return devKeyFromJwk(text, file);
}

async function devKeyFromJwk(text: string, file: string): Promise<DevKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new Error('not a private P-256 JWK');
    const { d: _d, ...publicJwk } = jwk;
    const privateKey = (await importJWK({ ...jwk, alg: devAlgorithm }, devAlgorithm)) as CryptoKey;
    const publicKey = (await importJWK({ ...publicJwk, alg: devAlgorithm }, devAlgorithm)) as CryptoKey;
    const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK);
    return { kid, privateKey, publicKey };
  } catch (err) {
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', `dev key ${file}: ${(err as Error).message}`, { cause: err });
  }
}
