import { errors } from 'jose';
import { RegateError } from '../errors.ts';
import { AuthError } from './auth-error.ts';

/**
 * Maps whatever `jwtVerify` (or a key resolver) threw to a regate error with a precise code, so
 * that each kind of bad token is told apart in logs, metrics and tests. Unknown errors become
 * MALFORMED: a token regate cannot read is a token regate does not accept.
 */
export function fromJoseError(err: unknown): RegateError {
  if (err instanceof RegateError) return err;
  if (err instanceof errors.JWTExpired) {
    return new AuthError('REGATE_ERR_AUTH_EXPIRED', `${err.claim} check failed`, { cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return new AuthError('REGATE_ERR_AUTH_NOT_YET_VALID', undefined, { cause: err });
      case 'aud':
        return new AuthError('REGATE_ERR_AUTH_AUDIENCE', err.reason === 'missing' ? 'no aud claim' : undefined, { cause: err });
      case 'iss':
        return new AuthError('REGATE_ERR_AUTH_ISSUER', err.reason === 'missing' ? 'no iss claim' : undefined, { cause: err });
      default:
        return new AuthError('REGATE_ERR_AUTH_CLAIMS', err.message, { cause: err });
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError('REGATE_ERR_AUTH_ALG_NOT_ALLOWED', undefined, { cause: err });
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new AuthError('REGATE_ERR_AUTH_UNKNOWN_KID', 'no key in the key set matches the token header (kid, alg)', { cause: err });
  }
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('REGATE_ERR_AUTH_UNKNOWN_KID', 'several keys in the key set match the token header; the issuer must use unique kids', { cause: err });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError('REGATE_ERR_AUTH_SIGNATURE', undefined, { cause: err });
  }
  if (err instanceof errors.JOSENotSupported) {
    return new AuthError('REGATE_ERR_AUTH_ALG_NOT_ALLOWED', err.message, { cause: err });
  }
  const detail = err instanceof Error ? err.message : undefined;
  return new AuthError('REGATE_ERR_AUTH_MALFORMED', detail, { cause: err });
}

/**
 * Classifies an error thrown while fetching a key set: "no such key" stays a token problem (401),
 * everything else (network, timeout, non-200, malformed JSON) means the keys are unavailable (503).
 */
export function fromKeySetError(err: unknown, jwksUri: string): RegateError {
  if (err instanceof RegateError) return err;
  if (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  ) {
    return fromJoseError(err);
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new RegateError('REGATE_ERR_AUTH_KEYS_UNAVAILABLE', `${jwksUri}: ${reason}`, { cause: err });
}
