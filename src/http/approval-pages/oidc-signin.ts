/**
 * The approval page's sign-in: OpenID Connect authorization code flow with PKCE (S256), state and
 * nonce, through openid-client. What a started sign-in must remember (PKCE verifier, nonce, where
 * to return) lives in the shared store under the state's hash for ten minutes, so the callback may
 * land on any replica; the state also sits in a short-lived cookie so an answer is accepted only
 * in the browser that started it (no login CSRF). The ID token's signature is checked against the
 * issuer's JWKS too (openid-client's non-repudiation checks), not only its claims.
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { RegateError } from '../../errors.ts';
import type { SignInConfig } from '../../approvals/config.ts';
import type { FetchLike } from '../../identity/http.ts';
import type { Principal } from '../../identity/principal.ts';
import type { Store } from '../../store/store.ts';
import { discoveryTarget, principalFromIdToken, safeReturnPath, type SignInAuth } from './signin-principal.ts';

const PREFIX = 'approval:signin:';
/** How long a person has between leaving for the issuer and coming back. */
export const SIGNIN_TTL_MS = 10 * 60 * 1000;

interface Pending {
  readonly verifier: string;
  readonly nonce: string;
  readonly next: string;
}

export interface OidcSignInOptions {
  readonly auth: SignInAuth;
  readonly signin: SignInConfig;
  /** The callback URL registered with the issuer (`/approvals/callback`), resolved lazily. */
  readonly redirectUrl: () => string;
  readonly store: Store;
  /** Default: the global fetch. Tests pass one that trusts their CA. */
  readonly fetch?: FetchLike;
}

const keyOf = (state: string) => PREFIX + createHash('sha256').update(state).digest('base64url');

export class OidcSignIn {
  readonly #o: OidcSignInOptions;
  #config: Promise<client.Configuration> | undefined;

  constructor(o: OidcSignInOptions) {
    this.#o = o;
  }

  /** Starts a sign-in: remembers its secrets and returns the state (for the cookie) and the issuer URL to go to. */
  async start(next: unknown): Promise<{ state: string; url: URL }> {
    const config = await this.#configuration();
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const pending: Pending = { verifier, nonce, next: safeReturnPath(next) };
    await this.#o.store.set(keyOf(state), JSON.stringify(pending), SIGNIN_TTL_MS);
    const scopes = new Set(['openid', ...this.#o.signin.scopes]);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.#o.redirectUrl(),
      scope: [...scopes].join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { state, url };
  }

  /**
   * Finishes a sign-in from the callback's query string and the state cookie: the state must match
   * the cookie and a sign-in started here (used once), the code is exchanged with the PKCE
   * verifier, and the ID token is validated (signature, issuer, audience, nonce, expiry).
   */
  async finish(query: URLSearchParams, stateCookie: string | undefined): Promise<{ principal: Principal; next: string }> {
    const state = query.get('state') ?? undefined;
    if (state === undefined || stateCookie === undefined || state !== stateCookie) {
      throw new RegateError('REGATE_ERR_APPROVAL_SIGNIN_STATE', 'state mismatch');
    }
    const key = keyOf(state);
    const text = await this.#o.store.get(key);
    if (text === undefined) throw new RegateError('REGATE_ERR_APPROVAL_SIGNIN_STATE', 'unknown or expired state');
    await this.#o.store.del(key);
    const pending = JSON.parse(text) as Pending;
    const error = query.get('error');
    if (error !== null) {
      const description = query.get('error_description');
      throw new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', `${error}${description ? ` (${description})` : ''}`);
    }
    const config = await this.#configuration();
    const current = new URL(this.#o.redirectUrl());
    current.search = query.toString();
    let tokens;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw signInError(err);
    }
    const claims = tokens.claims();
    if (claims === undefined) throw new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', 'no ID token');
    try {
      return { principal: principalFromIdToken(this.#o.auth, claims), next: pending.next };
    } catch (err) {
      throw err instanceof RegateError ? new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', err.detail ?? err.message) : err;
    }
  }

  /** Discovery once; a failure is not cached, so the next sign-in tries again. */
  #configuration(): Promise<client.Configuration> {
    this.#config ??= this.#discover().catch((err: unknown) => {
      this.#config = undefined;
      throw new RegateError('REGATE_ERR_APPROVAL_SIGNIN_UNAVAILABLE', 'discovery failed', { cause: err });
    });
    return this.#config;
  }

  async #discover(): Promise<client.Configuration> {
    const { signin, fetch: fetchImpl } = this.#o;
    const options: client.DiscoveryRequestOptions = {
      execute: [client.enableNonRepudiationChecks],
      timeout: 10,
      ...(fetchImpl === undefined ? {} : { [client.customFetch]: adapt(fetchImpl) }),
    };
    return client.discovery(discoveryTarget(this.#o.auth), signin.client_id, { client_secret: signin.client_secret }, client.ClientSecretPost(signin.client_secret), options);
  }
}

/** openid-client's custom fetch over regate's FetchLike (form bodies as strings). */
function adapt(fetchImpl: FetchLike): client.CustomFetch {
  return (url, options) =>
    fetchImpl(url, {
      method: options.method,
      headers: options.headers,
      redirect: options.redirect,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.body === undefined || options.body === null ? {} : { body: options.body instanceof URLSearchParams ? options.body.toString() : (options.body as NonNullable<RequestInit['body']>) }),
    });
}

/** What a failed code exchange tells the person: the issuer's refusal, a bad token, or an outage. */
function signInError(err: unknown): RegateError {
  if (err instanceof client.ResponseBodyError) return new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', err.error, { cause: err });
  if (err instanceof client.AuthorizationResponseError) return new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', err.error, { cause: err });
  if (err instanceof client.ClientError) return new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', `the token response failed validation: ${err.message}`, { cause: err });
  return new RegateError('REGATE_ERR_APPROVAL_SIGNIN_UNAVAILABLE', undefined, { cause: err });
}
