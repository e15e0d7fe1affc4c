/**
 * Who is calling. Built by the identity layer from a validated bearer token and fed, unchanged,
 * into the policy input (`input.principal`) and every transcript event.
 */
export interface Principal {
  /** `user` for delegated (human) tokens, `app` for workload / app-only tokens. */
  readonly type: 'user' | 'app';
  /** Stable subject id: Entra `oid`, or the OIDC `sub`. */
  readonly id: string;
  /** Human-readable name: `upn`/`preferred_username`/`name`, or the app's display name/id. */
  readonly name: string;
  /** Entra tenant id (`tid`) or the OIDC issuer for other providers. */
  readonly tenant: string;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /** The OAuth client the token was issued to (`azp`/`appid`/`client_id`). */
  readonly client_id: string;
  /** Token issuer (`iss`), kept for audit. */
  readonly issuer: string;
  /** Token expiry, seconds since the epoch. */
  readonly expires_at: number;
}
