import type { AsymmetricAlgorithm } from './jwt-verify.ts';
import { verifyJwt } from './jwt-verify.ts';
import type { RemoteKeySet } from './key-set.ts';
import { mapOidcClaims, type OidcClaimMapping } from './oidc-claims.ts';
import type { Principal } from './principal.ts';
import { checkRequirements, type Requirements } from './requirements.ts';
import type { TokenValidator } from './validator.ts';

export interface OidcValidatorOptions extends Requirements {
  /** Exact `iss` value (and the discovery base). */
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly algorithms: readonly AsymmetricAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly mapping: OidcClaimMapping;
}

export interface OidcValidatorDeps {
  readonly keys: RemoteKeySet;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** Validates access/ID tokens from a generic OpenID Connect issuer (Okta, Keycloak, GitHub Actions, ...). */
export class OidcValidator implements TokenValidator {
  readonly #options: OidcValidatorOptions;
  readonly #deps: OidcValidatorDeps;

  constructor(options: OidcValidatorOptions, deps: OidcValidatorDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  async validate(token: string): Promise<Principal> {
    const o = this.#options;
    const claims = await verifyJwt(token, this.#deps.keys.getKey, {
      algorithms: o.algorithms,
      audience: o.audience,
      issuer: o.issuer,
      clockSkewSeconds: o.clockSkewSeconds,
      now: this.#deps.now(),
    });
    const principal = mapOidcClaims(claims, o.mapping);
    checkRequirements(principal, o);
    return principal;
  }
}
