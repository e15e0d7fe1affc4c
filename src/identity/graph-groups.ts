import type { TokenCredential } from '@azure/identity';
import { RegateError } from '../errors.ts';
import type { GroupsOverage } from './entra-claims.ts';
import { ExpiringLru } from './expiring-lru.ts';
import type { FetchLike } from './http.ts';

export interface GraphGroupsOptions {
  /** e.g. https://graph.microsoft.com (no trailing /v1.0). */
  readonly graphUrl: string;
  readonly cacheSeconds: number;
  readonly maxEntries: number;
  /** `securityEnabledOnly` in the getMemberObjects body. */
  readonly securityEnabledOnly: boolean;
  readonly timeoutMs: number;
  /**
   * The tenant the gateway's credential lives in (single-tenant APIs). Lookups in it do not name a
   * tenant, since some credentials (managed identity) do not accept one. When unset (multi-tenant
   * APIs) every lookup asks the credential for a token in the caller's tenant.
   */
  readonly homeTenant?: string;
}

export interface GraphGroupsDeps {
  /** The gateway's own credential (DefaultAzureCredential in production). */
  readonly credential: TokenCredential;
  readonly fetch: FetchLike;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves group memberships that overflowed a token through Microsoft Graph
 * `POST /v1.0/{users|servicePrincipals}/{id}/getMemberObjects`, with the gateway's own credential
 * (application permission User.Read.All / Application.Read.All or Directory.Read.All). Results are
 * cached per object for `cacheSeconds`; concurrent lookups of one object share one request; a
 * failure is never cached and always surfaces as REGATE_ERR_AUTH_GROUPS_UNAVAILABLE (deny).
 */
export class GraphGroupResolver {
  readonly #options: GraphGroupsOptions;
  readonly #deps: GraphGroupsDeps;
  readonly #cache: ExpiringLru<readonly string[]>;
  readonly #inFlight = new Map<string, Promise<readonly string[]>>();
  /** Graph requests made (cache misses), for metrics and tests. */
  requests = 0;

  constructor(options: GraphGroupsOptions, deps: GraphGroupsDeps) {
    this.#options = { ...options, graphUrl: options.graphUrl.replace(/\/+$/, '') };
    this.#deps = deps;
    this.#cache = new ExpiringLru(options.maxEntries);
  }

  /** The group (and directory role) ids the object is a transitive member of. */
  async resolve(subject: GroupsOverage): Promise<readonly string[]> {
    if (!guid.test(subject.id)) {
      throw new RegateError('REGATE_ERR_AUTH_GROUPS_UNAVAILABLE', `object id ${JSON.stringify(subject.id)} is not a GUID`);
    }
    const key = `${subject.tenant}/${subject.kind}/${subject.id.toLowerCase()}`;
    const cached = this.#cache.get(key, this.#deps.now());
    if (cached !== undefined) return cached;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#fetch(subject).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    const groups = await pending;
    this.#cache.set(key, groups, this.#deps.now() + this.#options.cacheSeconds * 1000);
    return groups;
  }

  async #fetch(subject: GroupsOverage): Promise<readonly string[]> {
    const o = this.#options;
    const collection = subject.kind === 'user' ? 'users' : 'servicePrincipals';
    const url = `${o.graphUrl}/v1.0/${collection}/${encodeURIComponent(subject.id)}/getMemberObjects`;
    this.requests++;
    try {
      const crossTenant = o.homeTenant === undefined || o.homeTenant !== subject.tenant;
      const token = await this.#deps.credential.getToken(`${o.graphUrl}/.default`, crossTenant ? { tenantId: subject.tenant } : {});
      if (token === null) throw new Error('the credential returned no token for Graph');
      const response = await this.#deps.fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(o.timeoutMs),
        headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ securityEnabledOnly: o.securityEnabledOnly }),
      });
      if (response.status !== 200) {
        const text = await response.text().catch(() => '');
        throw new Error(`HTTP ${response.status}${graphErrorCode(text)}`);
      }
      const body = (await response.json()) as { value?: unknown };
      if (!Array.isArray(body.value) || !body.value.every((v) => typeof v === 'string')) {
        throw new Error('response has no "value" array of ids');
      }
      return Object.freeze([...(body.value as string[])]);
    } catch (err) {
      throw new RegateError('REGATE_ERR_AUTH_GROUPS_UNAVAILABLE', `${collection}/${subject.id}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function graphErrorCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? ` (${code})` : '';
  } catch {
    return '';
  }
}
