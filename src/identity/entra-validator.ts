import { AuthError } from './auth-error.ts';
import { checkEntraIssuer, mapEntraClaims, type EntraIssuerPolicy } from './entra-claims.ts';
import type { GraphGroupResolver } from './graph-groups.ts';
import { verifyJwt } from './jwt-verify.ts';
import type { RemoteKeySet } from './key-set.ts';
import type { Principal } from './principal.ts';
import { checkRequirements, type Requirements } from './requirements.ts';
import type { TokenValidator } from './validator.ts';

export interface EntraValidatorOptions extends Requirements {
  readonly issuerPolicy: EntraIssuerPolicy;
  /** Accepted `aud` values: the API's client id and its App ID URI (`api://...`). */
  readonly audience: readonly string[];
  readonly clockSkewSeconds: number;
}

export interface EntraValidatorDeps {
  readonly keys: RemoteKeySet;
  /** Absent: overage tokens are refused with REGATE_ERR_AUTH_GROUPS_OVERAGE. */
  readonly groups?: GraphGroupResolver;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/**
 * Validates Entra ID (v1.0 and v2.0) access tokens: RS256 only, signature from the tenant's JWKS,
 * audience, expiry with clock skew, issuer bound to the token's own tenant and the allowlist;
 * then maps claims to a Principal, resolving a groups overage through Graph.
 */
export class EntraValidator implements TokenValidator {
  readonly #options: EntraValidatorOptions;
  readonly #deps: EntraValidatorDeps;

  constructor(options: EntraValidatorOptions, deps: EntraValidatorDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  async validate(token: string): Promise<Principal> {
    const o = this.#options;
    const claims = await verifyJwt(token, this.#deps.keys.getKey, {
      algorithms: ['RS256'],
      audience: o.audience,
      clockSkewSeconds: o.clockSkewSeconds,
      now: this.#deps.now(),
    });
    checkEntraIssuer(claims, o.issuerPolicy);
    const { principal, overage } = mapEntraClaims(claims);
    // Permissions are checked before any Graph call, so a token that lacks them costs no lookup.
    checkRequirements(principal, o);
    if (overage === undefined) return principal;
    if (this.#deps.groups === undefined) {
      throw new AuthError('REGATE_ERR_AUTH_GROUPS_OVERAGE', 'set auth.groups_overage.enabled: true and grant the gateway Graph access');
    }
    const groups = await this.#deps.groups.resolve(overage);
    return { ...principal, groups: [...groups] };
  }
}
