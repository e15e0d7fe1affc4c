import type { AuthConfig } from '../identity/config.ts';
import { createDevProvider } from '../identity/create.ts';
import type { IdentityLogger } from '../identity/dev-provider.ts';
import type { Principal } from '../identity/principal.ts';

/** Arguments of `regate token` as commander parses them (lists may be comma-separated strings). */
export interface TokenCommandArgs {
  readonly sub: string;
  readonly name?: string;
  readonly type?: Principal['type'];
  readonly groups?: string | readonly string[];
  readonly roles?: string | readonly string[];
  readonly scopes?: string | readonly string[];
  /** Lifetime in seconds (default and maximum: auth.dev.token_ttl_seconds). */
  readonly ttl?: number | string;
}

export interface TokenCommandDeps {
  readonly logger: IdentityLogger;
  /** Relative dev key paths resolve against this (the config file's directory or cwd). */
  readonly baseDir?: string;
  readonly now?: () => number;
}

/**
 * `regate token --sub alice --groups g1,g2`: mints a dev token with the same key `regate serve`
 * uses, and returns it for the CLI to print. Refused (REGATE_ERR_CONFIG_INVALID) unless the config
 * says `auth.provider: dev` with `dev.enabled: true`; warns loudly through the logger either way.
 */
export async function mintTokenCommand(auth: AuthConfig, args: TokenCommandArgs, deps: TokenCommandDeps): Promise<string> {
  const dev = await createDevProvider(auth, deps);
  const ttl = args.ttl === undefined ? undefined : Number(args.ttl);
  return dev.mint({
    sub: args.sub,
    ...(args.name === undefined ? {} : { name: args.name }),
    ...(args.type === undefined ? {} : { type: args.type }),
    groups: splitList(args.groups),
    roles: splitList(args.roles),
    scopes: splitList(args.scopes),
    ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
  });
}

/** `"a,b"`, `["a,b","c"]` and `["a","b","c"]` all become a clean list. */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === 'string' ? [value] : value;
  return parts.flatMap((p) => p.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}
