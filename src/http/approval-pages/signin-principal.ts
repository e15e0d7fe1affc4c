/**
 * Pure pieces of the approval page's OIDC sign-in: which issuer to sign in against, and how a
 * validated ID token becomes the same Principal the bearer path builds (src/identity mappings).
 */
import { RegateError } from '../../errors.ts';
import type { Claims } from '../../identity/claims.ts';
import type { AuthConfig, EntraAuthConfig, OidcAuthConfig } from '../../identity/config.ts';
import { entraIssuerPolicy, oidcMapping } from '../../identity/create.ts';
import { checkEntraIssuer, mapEntraClaims } from '../../identity/entra-claims.ts';
import { mapOidcClaims } from '../../identity/oidc-claims.ts';
import type { Principal } from '../../identity/principal.ts';

export type SignInAuth = EntraAuthConfig | OidcAuthConfig;

/** Narrows `auth` to a provider people can sign in with (dev has its own form). */
export function signInAuth(auth: AuthConfig): SignInAuth | undefined {
  return auth.provider === 'dev' ? undefined : auth;
}

/**
 * Where discovery starts: Entra's v2.0 issuer of the configured tenant (openid-client understands
 * Entra's templated multi-tenant issuer), or the OIDC issuer (or its discovery_url when given).
 */
export function discoveryTarget(auth: SignInAuth): URL {
  if (auth.provider === 'entra') return new URL(`${auth.authority_host.replace(/\/+$/, '')}/${auth.tenant_id}/v2.0`);
  return new URL(auth.discovery_url ?? auth.issuer);
}

const NOT_PAGES = new Set(['/approvals/sign-in', '/approvals/callback', '/approvals/sign-out', '/approvals/signed-out']);

/** The path a person returns to after signing in: only the list or a request's page, never another site. */
export function safeReturnPath(next: unknown): string {
  return typeof next === 'string' && /^\/approvals(\/[A-Za-z0-9_-]{1,64})?$/.test(next) && !NOT_PAGES.has(next) ? next : '/approvals';
}

/**
 * Maps ID-token claims (signature, issuer, audience, nonce and expiry already checked by
 * openid-client) to a Principal with the provider's own mapping. A signed-in person is a user
 * whatever the token's shape (ID tokens carry no `scp`, which Entra's rule reads as an app).
 */
export function principalFromIdToken(auth: SignInAuth, claims: Claims): Principal {
  if (auth.provider === 'entra') {
    // The same tenant allowlist as bearer tokens (multi-tenant configs accept only listed tenants).
    checkEntraIssuer(claims, entraIssuerPolicy(auth));
    const { principal, overage } = mapEntraClaims({ ...claims, idtyp: 'user' });
    if (overage !== undefined) {
      throw new RegateError('REGATE_ERR_APPROVAL_SIGNIN_REFUSED', 'your groups did not fit in the ID token (groups overage); ask for the app registration to emit only the groups assigned to it');
    }
    return principal;
  }
  return { ...mapOidcClaims(claims, oidcMapping(auth)), type: 'user' };
}
