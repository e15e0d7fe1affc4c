import { SignJWT, type CryptoKey } from 'jose';
import { RegateError } from '../errors.ts';
import { devAlgorithm, type DevKey } from './dev-key.ts';
import { verifyJwt } from './jwt-verify.ts';
import { mapOidcClaims, type OidcClaimMapping } from './oidc-claims.ts';
import type { Principal } from './principal.ts';
import { checkRequirements, type Requirements } from './requirements.ts';
import type { TokenValidator } from './validator.ts';

/** Issuer and audience of dev tokens; nothing else uses them, so a dev token fits nowhere else. */
export const devIssuer = 'urn:regate:dev';
export const devAudience = 'urn:regate:dev:gateway';
export const devTenant = 'dev';

/** What a dev token says about its holder. */
export interface DevTokenRequest {
  readonly sub: string;
  readonly name?: string;
  readonly type?: Principal['type'];
  readonly groups?: readonly string[];
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
  /** Lifetime in seconds; at most the configured maximum. */
  readonly ttlSeconds?: number;
}

export interface DevProviderOptions extends Requirements {
  /** Default and maximum token lifetime. */
  readonly tokenTtlSeconds: number;
}

/** A warn-capable logger (pino's `warn(obj, msg)` fits). */
export interface IdentityLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

const mapping: OidcClaimMapping = {
  idClaim: 'sub',
  nameClaim: 'name',
  groupsClaim: 'groups',
  rolesClaim: 'roles',
  scopesClaim: 'scp',
  clientIdClaim: 'azp',
  tenantClaim: 'tid',
  typeRules: [{ claim: 'idtyp', equals: 'app', type: 'app' }],
  defaultType: 'user',
};

/**
 * Dev-mode authentication for the embedded default: a local ES256 key mints short-lived tokens
 * (`regate token`) and validates them. It is never a fallback: it exists only when the config says
 * `auth.provider: dev` with `dev.enabled: true`, and it says so loudly when constructed.
 */
export class DevProvider implements TokenValidator {
  readonly #key: DevKey;
  readonly #options: DevProviderOptions;
  readonly #now: () => number;

  constructor(key: DevKey, options: DevProviderOptions, deps: { logger: IdentityLogger; now: () => number }) {
    this.#key = key;
    this.#options = options;
    this.#now = deps.now;
    deps.logger.warn(
      { auth_provider: 'dev', kid: key.kid },
      'DEV AUTHENTICATION IS ENABLED: any holder of the local dev key can mint tokens for any identity. Never use auth.provider: dev outside a laptop.',
    );
  }

  /** Signs a dev token for the given identity. */
  async mint(req: DevTokenRequest): Promise<string> {
    const ttl = req.ttlSeconds ?? this.#options.tokenTtlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > this.#options.tokenTtlSeconds) {
      throw new RegateError('REGATE_ERR_CONFIG_INVALID', `dev token ttl must be 1..${this.#options.tokenTtlSeconds} seconds`);
    }
    if (req.sub === '') throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'dev token needs a non-empty sub');
    const now = Math.floor(this.#now() / 1000);
    return new SignJWT({
      name: req.name ?? req.sub,
      tid: devTenant,
      azp: 'regate-cli',
      groups: [...(req.groups ?? [])],
      roles: [...(req.roles ?? [])],
      ...(req.type === 'app' ? { idtyp: 'app' } : { scp: (req.scopes ?? []).join(' ') }),
    })
      .setProtectedHeader({ alg: devAlgorithm, kid: this.#key.kid, typ: 'JWT' })
      .setIssuer(devIssuer)
      .setAudience(devAudience)
      .setSubject(req.sub)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .sign(this.#key.privateKey);
  }

  readonly #getKey = async (): Promise<CryptoKey> => this.#key.publicKey;

  async validate(token: string): Promise<Principal> {
    const claims = await verifyJwt(token, this.#getKey, {
      algorithms: [devAlgorithm],
      audience: [devAudience],
      issuer: devIssuer,
      clockSkewSeconds: 5,
      now: this.#now(),
    });
    const principal = mapOidcClaims(claims, mapping);
    checkRequirements(principal, this.#options);
    return principal;
  }
}
