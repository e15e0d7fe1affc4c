import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from './auth-error.ts';
import { fromJoseError } from './jose-errors.ts';

/** Asymmetric JWS algorithms regate can be configured to accept. HS* and `none` never are. */
export const asymmetricAlgorithms = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
export type AsymmetricAlgorithm = (typeof asymmetricAlgorithms)[number];

export interface VerifyOptions {
  readonly algorithms: readonly AsymmetricAlgorithm[];
  readonly audience: readonly string[];
  /** Exact issuer(s); omitted when the caller checks the issuer itself (Entra's per-tenant issuers). */
  readonly issuer?: string | readonly string[];
  readonly clockSkewSeconds: number;
  /** Milliseconds since the epoch; injected so tests and caches agree on "now". */
  readonly now: number;
}

// Compact JWS: three base64url segments. A JWE (five segments) or anything else is refused early.
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies a compact JWT's signature and registered claims, refusing `alg: none`, symmetric
 * algorithms and anything outside `algorithms` before any key is looked up, so that an attacker's
 * header can never pick the verification method. Returns the verified payload.
 */
export async function verifyJwt(token: string, keys: JWTVerifyGetKey, options: VerifyOptions): Promise<JWTPayload> {
  if (!compactJws.test(token)) throw new AuthError('REGATE_ERR_AUTH_MALFORMED', 'expected a compact JWS (header.payload.signature)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (err) {
    throw new AuthError('REGATE_ERR_AUTH_MALFORMED', 'the token header is not valid base64url JSON', { cause: err });
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') throw new AuthError('REGATE_ERR_AUTH_MALFORMED', 'the token header has no alg');
  if (alg.toLowerCase() === 'none') throw new AuthError('REGATE_ERR_AUTH_ALG_NOT_ALLOWED', 'alg none: unsigned tokens are never accepted');
  if (/^HS/i.test(alg)) throw new AuthError('REGATE_ERR_AUTH_ALG_NOT_ALLOWED', `alg ${alg}: symmetric (shared-secret) algorithms are never accepted`);
  if (!(options.algorithms as readonly string[]).includes(alg)) {
    throw new AuthError('REGATE_ERR_AUTH_ALG_NOT_ALLOWED', `alg ${alg}; accepted: ${options.algorithms.join(', ')}`);
  }
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [...options.algorithms],
      audience: [...options.audience],
      ...(options.issuer === undefined ? {} : { issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer] }),
      clockTolerance: options.clockSkewSeconds,
      currentDate: new Date(options.now),
      // A token without an expiry would be valid forever (and cached forever): refuse it.
      requiredClaims: ['exp', 'iss'],
    });
    return payload;
  } catch (err) {
    throw fromJoseError(err);
  }
}
