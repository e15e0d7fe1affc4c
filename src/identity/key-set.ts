import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { RegateError } from '../errors.ts';
import { fetchJson, type FetchLike } from './http.ts';
import { fromKeySetError } from './jose-errors.ts';

export interface KeySetOptions {
  /** The key set URL, when known up front. */
  readonly jwksUri?: string;
  /** OpenID discovery document to read `jwks_uri` from, when `jwksUri` is not given. */
  readonly discoveryUrl?: string;
  /** If set, the discovery document's `issuer` must equal it (OpenID Connect Discovery 1.0 §4.3). */
  readonly expectedIssuer?: string;
  /** A key that is not in the cached set triggers a refetch at most once per cooldown. */
  readonly cooldownMs: number;
  /** Cached keys are refetched after this long even if every kid matched. */
  readonly cacheMaxAgeMs: number;
  readonly timeoutMs: number;
  readonly fetch: FetchLike;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

// After a failed discovery, callers get the same failure for this long instead of each request
// hammering an identity provider that is already in trouble.
const discoveryRetryMs = 5_000;

/**
 * A jose key resolver over a remote JWKS, found directly or through discovery. Discovery is lazy
 * (regate starts even if the IdP is down) and retried after failures. jose's remote set refetches
 * on an unknown kid once the cooldown has passed, so a rotated key is picked up without a restart,
 * while a flood of forged kids costs at most one fetch per cooldown.
 */
export class RemoteKeySet {
  readonly #options: KeySetOptions;
  #resolver: Promise<JWTVerifyGetKey> | undefined;
  #failedAt = 0;
  #jwksUri: string | undefined;

  constructor(options: KeySetOptions) {
    if (options.jwksUri === undefined && options.discoveryUrl === undefined) {
      throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'a key set needs jwks_uri or a discovery URL');
    }
    this.#options = options;
  }

  /** The key set URL once known (after discovery). */
  get jwksUri(): string | undefined {
    return this.#options.jwksUri ?? this.#jwksUri;
  }

  /** The function to hand to `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const resolve = await this.#resolve();
    try {
      return await resolve(header, token);
    } catch (err) {
      throw fromKeySetError(err, this.jwksUri ?? '(unknown)');
    }
  };

  /** Resolves discovery and fetches the key set now, e.g. at start-up to warm the cache. */
  async warmUp(): Promise<void> {
    const resolve = await this.#resolve();
    const remote = resolve as ReturnType<typeof createRemoteJWKSet>;
    if (typeof remote.reload === 'function' && !remote.fresh) {
      try {
        await remote.reload();
      } catch (err) {
        throw fromKeySetError(err, this.jwksUri ?? '(unknown)');
      }
    }
  }

  #resolve(): Promise<JWTVerifyGetKey> {
    if (this.#resolver === undefined) {
      if (this.#failedAt !== 0 && this.#options.now() - this.#failedAt < discoveryRetryMs) {
        return Promise.reject(new RegateError('REGATE_ERR_AUTH_KEYS_UNAVAILABLE', 'discovery failed recently; retrying shortly'));
      }
      const pending = this.#create();
      this.#resolver = pending;
      pending.catch(() => {
        if (this.#resolver === pending) this.#resolver = undefined;
        this.#failedAt = this.#options.now();
      });
    }
    return this.#resolver;
  }

  async #create(): Promise<JWTVerifyGetKey> {
    const o = this.#options;
    const uri = o.jwksUri ?? (await this.#discover());
    return createRemoteJWKSet(new URL(uri), {
      cooldownDuration: o.cooldownMs,
      cacheMaxAge: o.cacheMaxAgeMs,
      timeoutDuration: o.timeoutMs,
      [customFetch]: o.fetch,
    });
  }

  async #discover(): Promise<string> {
    const o = this.#options;
    const url = o.discoveryUrl as string;
    let doc: unknown;
    try {
      doc = await fetchJson(o.fetch, url, o.timeoutMs);
    } catch (err) {
      throw new RegateError('REGATE_ERR_AUTH_KEYS_UNAVAILABLE', `discovery: ${(err as Error).message}`, { cause: err });
    }
    const meta = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    if (o.expectedIssuer !== undefined && meta.issuer !== o.expectedIssuer) {
      throw new RegateError(
        'REGATE_ERR_AUTH_KEYS_UNAVAILABLE',
        `discovery: ${url} names issuer ${JSON.stringify(meta.issuer)}, expected ${JSON.stringify(o.expectedIssuer)}`,
      );
    }
    if (typeof meta.jwks_uri !== 'string' || !/^https:\/\//.test(meta.jwks_uri)) {
      throw new RegateError('REGATE_ERR_AUTH_KEYS_UNAVAILABLE', `discovery: ${url} has no https jwks_uri`);
    }
    this.#jwksUri = meta.jwks_uri;
    return meta.jwks_uri;
  }
}

/** The discovery document URL for an issuer (`{issuer}/.well-known/openid-configuration`). */
export function discoveryUrlFor(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}
