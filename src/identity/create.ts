import { isAbsolute, resolve } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { RegateError } from '../errors.ts';
import { createAuthenticator, type Authenticate } from './authenticate.ts';
import type { AuthConfig, DevAuthConfig, EntraAuthConfig, OidcAuthConfig } from './config.ts';
import { ephemeralDevKey, loadOrCreateDevKey } from './dev-key.ts';
import { DevProvider, type IdentityLogger } from './dev-provider.ts';
import type { EntraIssuerPolicy } from './entra-claims.ts';
import { EntraValidator } from './entra-validator.ts';
import { GraphGroupResolver } from './graph-groups.ts';
import { defaultFetch, type FetchLike } from './http.ts';
import { discoveryUrlFor, RemoteKeySet } from './key-set.ts';
import { defaultOidcMapping, type OidcClaimMapping } from './oidc-claims.ts';
import { OidcValidator } from './oidc-validator.ts';
import { RegateBearerStrategy } from './passport-strategy.ts';
import { protectedResourceMetadata, type ProtectedResourceMetadata } from './protected-resource.ts';
import { CachingValidator, type TokenValidator } from './validator.ts';

/** What the composition root hands the identity layer. */
export interface IdentityDeps {
  readonly logger: IdentityLogger;
  /** regate's public base URL (config `public_url`), named in challenges and resource metadata. */
  readonly publicBaseUrl: string;
  /** The gateway's Azure credential (DefaultAzureCredential); needed for Entra groups overage. */
  readonly credential?: TokenCredential;
  /** Default: the global fetch. Tests pass one that trusts their CA. */
  readonly fetch?: FetchLike;
  /** Relative `dev.key_file` paths resolve against this; default process.cwd(). */
  readonly baseDir?: string;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
}

/** The identity layer, ready to mount. */
export interface Identity {
  readonly provider: AuthConfig['provider'];
  /** The validator behind `authenticate`, with its token cache (`stats`, `size`). */
  readonly validator: CachingValidator;
  /** Framework-free: `authenticate(req.headers, req.originalUrl)` -> Principal, or throws. */
  readonly authenticate: Authenticate;
  /** `passport.use(identity.strategy)`; then `passport.authenticate('regate-bearer', { session: false })`. */
  readonly strategy: RegateBearerStrategy;
  /** RFC 9728 document for `/.well-known/oauth-protected-resource[/mcp/{connection}]`. */
  metadata(connection?: string): ProtectedResourceMetadata;
  /** Present only for provider dev: mints tokens for the start-up banner. */
  readonly dev?: DevProvider;
  /** Fetches discovery and keys now (optional, at start-up); throws RegateError 503 if unreachable. */
  warmUp(): Promise<void>;
}

/** Builds the identity layer from the validated `auth` config section. */
export async function createIdentity(config: AuthConfig, deps: IdentityDeps): Promise<Identity> {
  const now = deps.now ?? Date.now;
  const fetchImpl = deps.fetch ?? defaultFetch;
  let inner: TokenValidator;
  let keys: RemoteKeySet | undefined;
  let dev: DevProvider | undefined;
  let authorizationServers: readonly string[];

  switch (config.provider) {
    case 'entra': {
      keys = new RemoteKeySet({ ...keySetLocation(config), ...keySetTiming(config.jwks), fetch: fetchImpl, now });
      let groups: GraphGroupResolver | undefined;
      if (config.groups_overage.enabled) {
        if (deps.credential === undefined) {
          throw new RegateError(
            'REGATE_ERR_CONFIG_INVALID',
            "auth.groups_overage.enabled needs the gateway's Azure credential; pass one, or set enabled: false (overage tokens are then refused)",
          );
        }
        groups = new GraphGroupResolver(
          {
            graphUrl: config.groups_overage.graph_url,
            cacheSeconds: config.groups_overage.cache_seconds,
            maxEntries: config.groups_overage.max_entries,
            securityEnabledOnly: config.groups_overage.security_enabled_only,
            timeoutMs: config.groups_overage.timeout_seconds * 1000,
            ...(isMultiTenant(config) ? {} : { homeTenant: config.tenant_id }),
          },
          { credential: deps.credential, fetch: fetchImpl, now },
        );
      }
      inner = new EntraValidator(
        {
          issuerPolicy: entraIssuerPolicy(config),
          audience: config.audience,
          clockSkewSeconds: config.clock_skew_seconds,
          ...requirements(config),
        },
        { keys, now, ...(groups === undefined ? {} : { groups }) },
      );
      authorizationServers = config.authorization_servers ?? [`${trim(config.authority_host)}/${config.tenant_id}/v2.0`];
      break;
    }
    case 'oidc': {
      keys = new RemoteKeySet({
        ...(config.jwks_uri === undefined
          ? { discoveryUrl: config.discovery_url ?? discoveryUrlFor(config.issuer), expectedIssuer: config.issuer }
          : { jwksUri: config.jwks_uri }),
        ...keySetTiming(config.jwks),
        fetch: fetchImpl,
        now,
      });
      inner = new OidcValidator(
        {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: config.algorithms,
          clockSkewSeconds: config.clock_skew_seconds,
          mapping: oidcMapping(config),
          ...requirements(config),
        },
        { keys, now },
      );
      authorizationServers = config.authorization_servers ?? [config.issuer];
      break;
    }
    case 'dev': {
      dev = await createDevProvider(config, deps);
      inner = dev;
      authorizationServers = config.authorization_servers ?? [];
      break;
    }
  }

  const validator = new CachingValidator(inner, { maxEntries: config.token_cache.max_entries, now });
  const authenticate = createAuthenticator({ validator, publicBaseUrl: deps.publicBaseUrl });
  return {
    provider: config.provider,
    validator,
    authenticate,
    strategy: new RegateBearerStrategy(authenticate),
    metadata: (connection) =>
      protectedResourceMetadata({
        baseUrl: deps.publicBaseUrl,
        ...(connection === undefined ? {} : { connection }),
        authorizationServers,
        scopesSupported: config.scopes_supported,
      }),
    ...(dev === undefined ? {} : { dev }),
    warmUp: async () => {
      await keys?.warmUp();
    },
  };
}

/**
 * The dev provider alone (for `regate token`). Refuses unless the config says provider dev with
 * dev.enabled: true, whatever the caller passes.
 */
export async function createDevProvider(
  config: AuthConfig,
  deps: { logger: IdentityLogger; baseDir?: string; now?: () => number },
): Promise<DevProvider> {
  if (config.provider !== 'dev' || config.dev?.enabled !== true) {
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'dev tokens need auth.provider: dev with auth.dev.enabled: true');
  }
  const cfg: DevAuthConfig = config;
  const file = cfg.dev.key_file;
  const key = file === null ? await ephemeralDevKey() : await loadOrCreateDevKey(isAbsolute(file) ? file : resolve(deps.baseDir ?? process.cwd(), file));
  return new DevProvider(
    key,
    { tokenTtlSeconds: cfg.dev.token_ttl_seconds, ...requirements(cfg) },
    { logger: deps.logger, now: deps.now ?? Date.now },
  );
}

function isMultiTenant(config: EntraAuthConfig): boolean {
  return config.tenant_id === 'organizations' || config.tenant_id === 'common';
}

/** The tenants and issuers an Entra config trusts. */
export function entraIssuerPolicy(config: EntraAuthConfig): EntraIssuerPolicy {
  const tenants: EntraIssuerPolicy['tenants'] = !isMultiTenant(config)
    ? new Set([config.tenant_id])
    : config.tenants !== undefined
      ? new Set(config.tenants)
      : 'any';
  return { tenants, acceptV1: config.accept_v1, ...(config.issuers === undefined ? {} : { issuers: config.issuers }) };
}

function keySetLocation(config: EntraAuthConfig): { jwksUri: string } | { discoveryUrl: string } {
  if (config.jwks_uri !== undefined) return { jwksUri: config.jwks_uri };
  // Entra's multi-tenant metadata names a templated issuer ({tenantid}), so it is not checked here.
  if (config.identity_metadata !== undefined) return { discoveryUrl: config.identity_metadata };
  return { jwksUri: `${trim(config.authority_host)}/${config.tenant_id}/discovery/v2.0/keys` };
}

function keySetTiming(jwks: EntraAuthConfig['jwks']): { cooldownMs: number; cacheMaxAgeMs: number; timeoutMs: number } {
  return {
    cooldownMs: jwks.cooldown_seconds * 1000,
    cacheMaxAgeMs: jwks.cache_max_age_seconds * 1000,
    timeoutMs: Math.round(jwks.timeout_seconds * 1000),
  };
}

function requirements(config: { required_scope?: string | undefined; required_app_role?: string | undefined }): {
  requiredScope?: string;
  requiredAppRole?: string;
} {
  return {
    ...(config.required_scope === undefined ? {} : { requiredScope: config.required_scope }),
    ...(config.required_app_role === undefined ? {} : { requiredAppRole: config.required_app_role }),
  };
}

/** The claim mapping an OIDC config describes. */
export function oidcMapping(config: OidcAuthConfig): OidcClaimMapping {
  const defaults = defaultOidcMapping(config.issuer);
  return {
    idClaim: config.id_claim,
    groupsClaim: config.groups_claim,
    rolesClaim: config.roles_claim,
    ...(config.name_claim === undefined ? {} : { nameClaim: config.name_claim }),
    ...(config.scopes_claim === undefined ? {} : { scopesClaim: config.scopes_claim }),
    ...(config.client_id_claim === undefined ? {} : { clientIdClaim: config.client_id_claim }),
    ...(config.tenant_claim === undefined ? {} : { tenantClaim: config.tenant_claim }),
    typeRules: config.principal_type.rules.map((r) => ({
      claim: r.claim,
      type: r.type,
      ...(r.equals === undefined ? {} : { equals: r.equals }),
      ...(r.prefix === undefined ? {} : { prefix: r.prefix }),
    })),
    defaultType: config.principal_type.default ?? defaults.defaultType,
  };
}

function trim(url: string): string {
  return url.replace(/\/+$/, '');
}
