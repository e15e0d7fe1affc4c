import { AuthError } from './auth-error.ts';
import { claimAt, firstString, listClaim, numericClaim, stringClaim, type Claims } from './claims.ts';
import type { Principal } from './principal.ts';

/** GitHub Actions' OIDC issuer; its tokens name a workflow run, so they are app principals. */
export const githubActionsIssuer = 'https://token.actions.githubusercontent.com';

/** One principal-type rule: when the claim matches, the principal has this type. */
export interface PrincipalTypeRule {
  readonly claim: string;
  /** Matches when the claim equals this string (or, for a list claim, contains it). */
  readonly equals?: string;
  /** Matches when the claim is a string starting with this. */
  readonly prefix?: string;
  /** With neither `equals` nor `prefix`: matches when the claim is present. */
  readonly type: Principal['type'];
}

/** How claims of a generic OIDC token become a Principal. */
export interface OidcClaimMapping {
  readonly idClaim: string;
  /** Unset: the first of preferred_username, name, email, sub. */
  readonly nameClaim?: string;
  readonly groupsClaim: string;
  readonly rolesClaim: string;
  /** Unset: `scope` (space-separated), then `scp`. */
  readonly scopesClaim?: string;
  /** Unset: the first of azp, client_id, cid, appid. */
  readonly clientIdClaim?: string;
  /** Unset: the issuer stands for the tenant. */
  readonly tenantClaim?: string;
  /** First matching rule wins; otherwise `defaultType`. */
  readonly typeRules: readonly PrincipalTypeRule[];
  readonly defaultType: Principal['type'];
}

/** The mapping defaults: standard claim names; GitHub Actions tokens are apps. */
export function defaultOidcMapping(issuer: string): OidcClaimMapping {
  return {
    idClaim: 'sub',
    groupsClaim: 'groups',
    rolesClaim: 'roles',
    typeRules: [],
    defaultType: issuer === githubActionsIssuer ? 'app' : 'user',
  };
}

/** Maps validated OIDC claims to a Principal using the configured claim names. */
export function mapOidcClaims(claims: Claims, mapping: OidcClaimMapping): Principal {
  const id = stringClaim(claims, mapping.idClaim);
  if (id === undefined) throw new AuthError('REGATE_ERR_AUTH_CLAIMS', `no ${mapping.idClaim} claim (the principal id)`);
  const exp = numericClaim(claims, 'exp');
  if (exp === undefined) throw new AuthError('REGATE_ERR_AUTH_CLAIMS', 'no exp claim');
  const issuer = stringClaim(claims, 'iss') ?? '';
  const name = mapping.nameClaim !== undefined
    ? (stringClaim(claims, mapping.nameClaim) ?? id)
    : (firstString(claims, ['preferred_username', 'name', 'email']) ?? id);
  const scopes = mapping.scopesClaim !== undefined
    ? listClaim(claims, mapping.scopesClaim)
    : claimAt(claims, 'scope') !== undefined ? listClaim(claims, 'scope') : listClaim(claims, 'scp');
  const clientId = mapping.clientIdClaim !== undefined
    ? (stringClaim(claims, mapping.clientIdClaim) ?? '')
    : (firstString(claims, ['azp', 'client_id', 'cid', 'appid']) ?? '');
  return {
    type: principalType(claims, mapping),
    id,
    name,
    tenant: mapping.tenantClaim !== undefined ? (stringClaim(claims, mapping.tenantClaim) ?? issuer) : issuer,
    groups: listClaim(claims, mapping.groupsClaim),
    roles: listClaim(claims, mapping.rolesClaim),
    scopes,
    client_id: clientId,
    issuer,
    expires_at: exp,
  };
}

function principalType(claims: Claims, mapping: OidcClaimMapping): Principal['type'] {
  for (const rule of mapping.typeRules) if (ruleMatches(claims, rule)) return rule.type;
  return mapping.defaultType;
}

function ruleMatches(claims: Claims, rule: PrincipalTypeRule): boolean {
  const value = claimAt(claims, rule.claim);
  if (value === undefined || value === null) return false;
  if (rule.equals !== undefined) {
    if (Array.isArray(value)) return value.includes(rule.equals);
    // Booleans and numbers compare by their JSON text, so YAML `equals: "true"` matches `true`.
    return ['string', 'number', 'boolean'].includes(typeof value) && String(value) === rule.equals;
  }
  if (rule.prefix !== undefined) return typeof value === 'string' && value.startsWith(rule.prefix);
  return true;
}
