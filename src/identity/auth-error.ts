import { RegateError, type ErrorCode } from '../errors.ts';

/**
 * An authentication or authorisation failure the caller can fix with another token (401) or more
 * permissions (403). It carries the `WWW-Authenticate` value to send, once `authenticate()` knows
 * the request's resource metadata URL. Failures regate cannot blame on the token (key set or Graph
 * unreachable, 503) stay plain `RegateError`s.
 */
export class AuthError extends RegateError {
  /** For 403 insufficient_scope: the scope or app role that was required. */
  readonly requiredScope: string | undefined;
  /** The `WWW-Authenticate` header value; set by `authenticate()`. */
  readonly wwwAuthenticate: string | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; requiredScope?: string; wwwAuthenticate?: string },
  ) {
    super(code, detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.requiredScope = options?.requiredScope;
    this.wwwAuthenticate = options?.wwwAuthenticate;
  }

  /** A copy of this error that carries the given challenge. */
  withChallenge(wwwAuthenticate: string): AuthError {
    const copy = new AuthError(this.code, this.detail, {
      cause: this.cause,
      ...(this.requiredScope === undefined ? {} : { requiredScope: this.requiredScope }),
      wwwAuthenticate,
    });
    copy.stack = this.stack;
    return copy;
  }
}

/** True for errors that mean "this token is not acceptable" (401/403), false for outages (503). */
export function isAuthFailure(err: unknown): err is AuthError {
  return err instanceof AuthError;
}
