/**
 * The public key that bundle signatures are checked against. Accepts what OPA accepts for RSA
 * and ECDSA keys (PEM public key, PKCS#1 RSA public key, X.509 certificate, or a private key whose
 * public half is used) and picks the JWS algorithm from the key unless one is configured.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { RegateError } from '../../errors.ts';

/** JWS algorithms regate verifies bundle signatures with (OPA's asymmetric set). */
export const SIGNATURE_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export interface VerificationKey {
  readonly key: KeyObject;
  readonly algorithm: SignatureAlgorithm;
}

const CURVE_ALGORITHMS: Record<string, SignatureAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** The algorithm a key signs with by default (RSA -> RS256 as in OPA, EC curve -> its ES*). */
export function defaultAlgorithm(key: KeyObject): SignatureAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'rsa-pss') return 'PS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const alg = CURVE_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (alg) return alg;
  }
  throw new RegateError('REGATE_ERR_BUNDLE_KEY', `unsupported key type ${type ?? 'unknown'}`);
}

/** Parses a PEM public key, certificate or private key into a verification key. */
export function parseVerificationKey(pem: string, algorithm?: SignatureAlgorithm): VerificationKey {
  let key: KeyObject;
  try {
    key = pem.includes('-----BEGIN CERTIFICATE-----') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch (err) {
    throw new RegateError('REGATE_ERR_BUNDLE_KEY', `not a PEM public key, certificate or private key: ${(err as Error).message}`, { cause: err });
  }
  return { key, algorithm: algorithm ?? defaultAlgorithm(key) };
}

/** Reads and parses the verification key file. */
export async function loadVerificationKey(file: string, algorithm?: SignatureAlgorithm): Promise<VerificationKey> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new RegateError('REGATE_ERR_BUNDLE_KEY', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseVerificationKey(pem, algorithm);
}
