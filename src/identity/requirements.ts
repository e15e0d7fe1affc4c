import { AuthError } from './auth-error.ts';
import type { Principal } from './principal.ts';

/** Permissions every accepted token must carry, on top of policy. */
export interface Requirements {
  /** Delegated (user) tokens must carry this scope in `scp`/`scope`. */
  readonly requiredScope?: string;
  /** App-only tokens must carry this app role; Entra issues app tokens without roles otherwise. */
  readonly requiredAppRole?: string;
}

/** Throws 403 insufficient_scope when the principal lacks a configured scope or app role. */
export function checkRequirements(principal: Principal, req: Requirements): void {
  if (principal.type === 'user' && req.requiredScope !== undefined && !principal.scopes.includes(req.requiredScope)) {
    throw new AuthError('REGATE_ERR_AUTH_INSUFFICIENT_SCOPE', `delegated tokens need the scope ${req.requiredScope}`, {
      requiredScope: req.requiredScope,
    });
  }
  if (principal.type === 'app' && req.requiredAppRole !== undefined && !principal.roles.includes(req.requiredAppRole)) {
    throw new AuthError('REGATE_ERR_AUTH_INSUFFICIENT_SCOPE', `app-only tokens need the app role ${req.requiredAppRole}`, {
      requiredScope: req.requiredAppRole,
    });
  }
}
