import { AuthError } from './auth-error.ts';
import { claimAt, firstString, listClaim, numericClaim, stringClaim, type Claims } from './claims.ts';
import type { Principal } from './principal.ts';

/** Which tenants and issuers an Entra validator trusts. */
export interface EntraIssuerPolicy {
  /** Lower-case tenant ids, or `any` (multi-tenant with `validate_issuer: false`). */
  readonly tenants: ReadonlySet<string> | 'any';
  readonly acceptV1: boolean;
  /** Explicit issuer list (passport-azure-ad's `issuer`); replaces the built-in templates. */
  readonly issuers?: readonly string[];
}

/** The v2.0 issuer of a tenant, as Entra writes it into `iss`. */
export const entraV2Issuer = (tid: string): string => `https://login.microsoftonline.com/${tid}/v2.0`;
/** The v1.0 issuer of a tenant, as Entra writes it into `iss`. */
export const entraV1Issuer = (tid: string): string => `https://sts.windows.net/${tid}/`;

/**
 * Checks `iss` against the token's own `tid` and the tenant allowlist, the way Microsoft documents
 * for multi-tenant apps: the issuer must be exactly the v2 (or, if accepted, v1) issuer of the
 * tenant named in `tid`, and that tenant must be allowed. Returns the tenant id.
 */
export function checkEntraIssuer(claims: Claims, policy: EntraIssuerPolicy): string {
  const iss = stringClaim(claims, 'iss');
  const tid = stringClaim(claims, 'tid')?.toLowerCase();
  if (iss === undefined) throw new AuthError('REGATE_ERR_AUTH_ISSUER', 'no iss claim');
  if (tid === undefined) throw new AuthError('REGATE_ERR_AUTH_CLAIMS', 'no tid (tenant id) claim');
  if (policy.issuers !== undefined) {
    if (!policy.issuers.includes(iss)) throw new AuthError('REGATE_ERR_AUTH_ISSUER', `issuer ${iss} is not in the configured issuer list`);
  } else if (iss === entraV1Issuer(tid)) {
    if (!policy.acceptV1) throw new AuthError('REGATE_ERR_AUTH_ISSUER', 'v1.0 tokens are not accepted (auth.accept_v1: false)');
  } else if (iss !== entraV2Issuer(tid)) {
    throw new AuthError('REGATE_ERR_AUTH_ISSUER', `issuer ${iss} is not the Entra issuer of tenant ${tid}`);
  }
  if (policy.tenants !== 'any' && !policy.tenants.has(tid)) {
    throw new AuthError('REGATE_ERR_AUTH_TENANT', `tenant ${tid} is not in the allowlist`);
  }
  return tid;
}

/** Whose group memberships must be fetched from Graph because they did not fit in the token. */
export interface GroupsOverage {
  readonly kind: 'user' | 'servicePrincipal';
  /** The directory object id (`oid`). */
  readonly id: string;
  readonly tenant: string;
}

export interface EntraMapping {
  readonly principal: Principal;
  /** Present when the token signals a groups overage; `principal.groups` is then empty. */
  readonly overage?: GroupsOverage;
}

/**
 * Maps validated Entra v1/v2 access-token claims to a Principal. App-only tokens are recognised
 * by `idtyp: app` or, when that optional claim is absent, by the lack of `scp` (Microsoft's own
 * rule: delegated tokens always carry `scp`).
 */
export function mapEntraClaims(claims: Claims): EntraMapping {
  const oid = stringClaim(claims, 'oid');
  if (oid === undefined) throw new AuthError('REGATE_ERR_AUTH_CLAIMS', 'no oid (object id) claim');
  const tid = stringClaim(claims, 'tid');
  if (tid === undefined) throw new AuthError('REGATE_ERR_AUTH_CLAIMS', 'no tid (tenant id) claim');
  const exp = numericClaim(claims, 'exp');
  if (exp === undefined) throw new AuthError('REGATE_ERR_AUTH_CLAIMS', 'no exp claim');

  const idtyp = stringClaim(claims, 'idtyp');
  const scopes = listClaim(claims, 'scp');
  const type: Principal['type'] = idtyp === 'app' ? 'app' : idtyp === 'user' ? 'user' : scopes.length > 0 ? 'user' : 'app';
  const clientId = firstString(claims, ['azp', 'appid']) ?? '';
  const name =
    type === 'user'
      ? (firstString(claims, ['upn', 'preferred_username', 'unique_name', 'email', 'name']) ?? oid)
      : (firstString(claims, ['app_displayname']) ?? (clientId || oid));

  const overage = hasGroupsOverage(claims);
  const principal: Principal = {
    type,
    id: oid,
    name,
    tenant: tid.toLowerCase(),
    groups: overage ? [] : listClaim(claims, 'groups'),
    roles: listClaim(claims, 'roles'),
    scopes: type === 'user' ? scopes : [],
    client_id: clientId,
    issuer: stringClaim(claims, 'iss') ?? '',
    expires_at: exp,
  };
  if (!overage) return { principal };
  return { principal, overage: { kind: type === 'user' ? 'user' : 'servicePrincipal', id: oid, tenant: principal.tenant } };
}

/**
 * True when Entra left the groups out because there were too many: `_claim_names.groups` (JWT
 * access tokens, more than 200 groups) or `hasgroups: true` (implicit flow). A token that carries
 * a `groups` array is never treated as overage.
 */
export function hasGroupsOverage(claims: Claims): boolean {
  if (Array.isArray(claimAt(claims, 'groups'))) return false;
  const names = claimAt(claims, '_claim_names');
  const named = names !== null && typeof names === 'object' && Object.hasOwn(names, 'groups');
  return named || claimAt(claims, 'hasgroups') === true;
}
