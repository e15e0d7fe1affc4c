import { z } from 'zod';
import { asymmetricAlgorithms } from './jwt-verify.ts';

/**
 * The `auth` section of the configuration. Keys are snake_case; passport-azure-ad's option names
 * (`identityMetadata`, `clientID`, `audience` as a string, `validateIssuer`, `issuer`, `clockSkew`)
 * are accepted as aliases and rewritten to the canonical keys before validation, so a config
 * migrated from passport-azure-ad works unchanged. Giving an alias and its canonical key with
 * different values is an error, never a silent pick.
 */

const guidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const guid = z.string().regex(guidPattern, 'a tenant id (GUID)').transform((s) => s.toLowerCase());
const httpsUrl = z.url({ protocol: /^https$/, error: 'an https:// URL' });
const seconds = (def: number, max = 86_400) => z.number().int().min(0).max(max).default(def);
const audience = z
  .array(z.string().min(1), { error: 'a list of accepted audiences (client id and App ID URI)' })
  .min(1, 'at least one audience');

const jwksSchema = z
  .strictObject({
    /** An unknown kid triggers a key set refetch at most this often (jose's cooldownDuration). */
    cooldown_seconds: seconds(30, 3600),
    /** Keys are refetched after this long even when every kid matches. */
    cache_max_age_seconds: seconds(600),
    timeout_seconds: z.number().positive().max(60).default(5),
  })
  .prefault({});

const tokenCacheSchema = z
  .strictObject({ max_entries: z.number().int().positive().default(10_000) })
  .prefault({});

const devBlockSchema = z.strictObject({
  /** Must be set to true explicitly: dev tokens are minted from a local key by anyone holding it. */
  enabled: z.boolean().default(false),
  /** Private JWK file, created if absent; null = an ephemeral key (only this process can mint). */
  key_file: z.string().min(1).nullable().default('data/dev-auth-key.json'),
  /** Lifetime (and maximum lifetime) of minted tokens. */
  token_ttl_seconds: z.number().int().min(60).max(86_400).default(3600),
});

/** Keys every provider has: RFC 9728 metadata and the validated-token cache. */
const commonKeys = {
  /** Scopes listed in the protected resource metadata (RFC 9728 `scopes_supported`). */
  scopes_supported: z.array(z.string().min(1)).default([]),
  /** Overrides the derived authorization server list in the resource metadata. */
  authorization_servers: z.array(httpsUrl).optional(),
  /** Delegated (user) tokens must carry this scope; otherwise 403 insufficient_scope. */
  required_scope: z.string().min(1).optional(),
  token_cache: tokenCacheSchema,
};
const common = {
  ...commonKeys,
  /** Ignored unless provider is dev; allowed so a disabled dev block can stay in the file. */
  dev: devBlockSchema.optional(),
};

export const entraAuthSchema = z
  .strictObject({
    provider: z.literal('entra'),
    /** The API's tenant, or `organizations`/`common` for a multi-tenant API (then `tenants` or `validate_issuer: false`). */
    tenant_id: z.union([guid, z.enum(['organizations', 'common'])], { error: 'a tenant id (GUID), organizations or common' }),
    /** Multi-tenant allowlist of tenant ids. */
    tenants: z.array(guid).min(1).optional(),
    audience,
    authority_host: httpsUrl.default('https://login.microsoftonline.com'),
    /** OpenID metadata URL to read jwks_uri from (passport-azure-ad: identityMetadata). */
    identity_metadata: httpsUrl.optional(),
    /** Key set URL; default {authority_host}/{tenant_id}/discovery/v2.0/keys. */
    jwks_uri: httpsUrl.optional(),
    /** false: multi-tenant without an allowlist (issuer still bound to the token's tid). */
    validate_issuer: z.boolean().default(true),
    /** Exact accepted issuers; replaces the built-in v1/v2 templates (sovereign clouds). */
    issuers: z.array(z.string().min(1)).min(1).optional(),
    accept_v1: z.boolean().default(true),
    /** passport-azure-ad's and Microsoft.IdentityModel's default: five minutes. */
    clock_skew_seconds: seconds(300, 600),
    /** App-only tokens must carry this app role (Entra issues app tokens without roles otherwise). */
    required_app_role: z.string().min(1).optional(),
    groups_overage: z
      .strictObject({
        enabled: z.boolean().default(true),
        graph_url: httpsUrl.default('https://graph.microsoft.com'),
        cache_seconds: seconds(300),
        max_entries: z.number().int().positive().default(10_000),
        /** getMemberObjects' securityEnabledOnly: true matches groupMembershipClaims "SecurityGroup". */
        security_enabled_only: z.boolean().default(true),
        timeout_seconds: z.number().positive().max(60).default(5),
      })
      .prefault({}),
    jwks: jwksSchema,
    ...common,
  })
  .superRefine((cfg, ctx) => {
    const multi = cfg.tenant_id === 'organizations' || cfg.tenant_id === 'common';
    if (multi && cfg.tenants === undefined && cfg.validate_issuer && cfg.issuers === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenants'],
        message: `tenant_id ${cfg.tenant_id} accepts tokens from other tenants: list them in tenants, or set validate_issuer: false to accept any tenant`,
      });
    }
    if (multi && cfg.tenants !== undefined && !cfg.validate_issuer) {
      ctx.addIssue({ code: 'custom', path: ['validate_issuer'], message: 'validate_issuer: false contradicts a tenants allowlist; drop one' });
    }
    if (!multi && cfg.tenants !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: 'tenants is only for tenant_id organizations or common' });
    }
    if (!multi && !cfg.validate_issuer) {
      ctx.addIssue({ code: 'custom', path: ['validate_issuer'], message: 'validate_issuer: false is only for tenant_id organizations or common' });
    }
  });

const principalTypeRuleSchema = z
  .strictObject({
    claim: z.string().min(1),
    equals: z.string().optional(),
    prefix: z.string().min(1).optional(),
    type: z.enum(['user', 'app']),
  })
  .refine((r) => r.equals === undefined || r.prefix === undefined, 'give equals or prefix, not both');

export const oidcAuthSchema = z.strictObject({
  provider: z.literal('oidc'),
  /** Exact `iss`; discovery reads {issuer}/.well-known/openid-configuration unless jwks_uri is set. */
  issuer: httpsUrl,
  audience,
  jwks_uri: httpsUrl.optional(),
  /** Discovery document URL when it is not under the issuer (passport-azure-ad: identityMetadata). */
  discovery_url: httpsUrl.optional(),
  algorithms: z
    .array(z.enum(asymmetricAlgorithms, { error: `one of ${asymmetricAlgorithms.join(', ')} (HS* and none are never accepted)` }))
    .min(1)
    .default(['RS256', 'ES256']),
  clock_skew_seconds: seconds(60, 600),
  id_claim: z.string().min(1).default('sub'),
  /** Unset: preferred_username, name, email, then sub. Dotted paths reach nested claims. */
  name_claim: z.string().min(1).optional(),
  groups_claim: z.string().min(1).default('groups'),
  roles_claim: z.string().min(1).default('roles'),
  /** Unset: scope (space-separated), then scp. */
  scopes_claim: z.string().min(1).optional(),
  /** Unset: azp, client_id, cid, appid. */
  client_id_claim: z.string().min(1).optional(),
  /** Unset: the issuer is the tenant. */
  tenant_claim: z.string().min(1).optional(),
  principal_type: z
    .strictObject({
      /** Unset: app for GitHub Actions' issuer, user otherwise. */
      default: z.enum(['user', 'app']).optional(),
      rules: z.array(principalTypeRuleSchema).default([]),
    })
    .prefault({}),
  required_app_role: z.string().min(1).optional(),
  jwks: jwksSchema,
  ...common,
});

export const devAuthSchema = z
  .strictObject({
    provider: z.literal('dev'),
    dev: devBlockSchema,
    ...commonKeys,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.dev.enabled !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['dev', 'enabled'],
        message: 'provider dev needs dev.enabled: true, set explicitly: dev tokens are minted from a local key, for laptops only',
      });
    }
  });

/** The `auth` section: one of entra, oidc, dev, after passport-azure-ad aliases are rewritten. */
export const authConfigSchema = z.preprocess(
  normaliseAuthAliases,
  z.discriminatedUnion('provider', [entraAuthSchema, oidcAuthSchema, devAuthSchema]),
);

export type AuthConfigInput = z.input<typeof authConfigSchema>;
export type AuthConfig = z.output<typeof authConfigSchema>;
export type EntraAuthConfig = z.output<typeof entraAuthSchema>;
export type OidcAuthConfig = z.output<typeof oidcAuthSchema>;
export type DevAuthConfig = z.output<typeof devAuthSchema>;

/** passport-azure-ad option -> regate key, per provider. `clientID` and `audience` are merged separately. */
const renames: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  entra: { identityMetadata: 'identity_metadata', validateIssuer: 'validate_issuer', issuer: 'issuers', clockSkew: 'clock_skew_seconds' },
  oidc: { identityMetadata: 'discovery_url', clockSkew: 'clock_skew_seconds' },
};

/**
 * Rewrites passport-azure-ad option names to regate's keys: `clientID` joins `audience`, a single
 * `audience`/`issuer` string becomes a list, and an Entra tenant is read from identityMetadata's
 * path (`https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration`) when
 * tenant_id is not given.
 */
export function normaliseAuthAliases(input: unknown, ctx?: { addIssue(issue: { code: 'custom'; message: string; path: PropertyKey[] }): void }): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  const provider = typeof out['provider'] === 'string' ? out['provider'] : '';
  for (const [alias, key] of Object.entries(renames[provider] ?? {})) {
    if (!Object.hasOwn(out, alias)) continue;
    const value = out[alias];
    delete out[alias];
    if (Object.hasOwn(out, key) && JSON.stringify(out[key]) !== JSON.stringify(listIf(key, value))) {
      ctx?.addIssue({ code: 'custom', path: [alias], message: `${alias} is passport-azure-ad's name for ${key}; give only one of them` });
      continue;
    }
    out[key] = listIf(key, value);
  }
  if (provider === 'entra' || provider === 'oidc') {
    if (typeof out['audience'] === 'string') out['audience'] = [out['audience']];
    if (Object.hasOwn(out, 'clientID')) {
      const clientId = out['clientID'];
      delete out['clientID'];
      const list = out['audience'] === undefined ? [] : out['audience'];
      if (typeof clientId !== 'string' || clientId === '') {
        ctx?.addIssue({ code: 'custom', path: ['clientID'], message: 'clientID must be the API application (client) id' });
      } else if (Array.isArray(list)) {
        out['audience'] = list.includes(clientId) ? list : [clientId, ...list];
      }
    }
  }
  if (provider === 'entra' && out['tenant_id'] === undefined && typeof out['identity_metadata'] === 'string') {
    const tenant = /^https:\/\/[^/]+\/([^/]+)\/(?:v2\.0\/)?\.well-known\/openid-configuration$/.exec(out['identity_metadata'])?.[1];
    if (tenant !== undefined) out['tenant_id'] = tenant;
  }
  return out;
}

// Entra's `issuer` alias may be one string; regate's `issuers` is always a list.
function listIf(key: string, value: unknown): unknown {
  return key === 'issuers' && typeof value === 'string' ? [value] : value;
}
