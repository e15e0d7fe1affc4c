import type { RegateError } from '../errors.ts';

/**
 * RFC 9728 (OAuth 2.0 Protected Resource Metadata) and RFC 6750 challenges. Pure functions: the
 * HTTP layer serves the documents and sets the headers.
 */

/** The metadata document served at `/.well-known/oauth-protected-resource[/mcp/{connection}]`. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers?: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported: readonly ['header'];
  readonly resource_name?: string;
  readonly resource_documentation?: string;
}

export interface ResourceMetadataOptions {
  /** regate's public base URL, e.g. https://regate.example.com (no trailing slash needed). */
  readonly baseUrl: string;
  /** The MCP connection; absent for the gateway as a whole. */
  readonly connection?: string;
  readonly authorizationServers?: readonly string[];
  readonly scopesSupported?: readonly string[];
  readonly resourceName?: string;
  readonly resourceDocumentation?: string;
}

const wellKnown = '/.well-known/oauth-protected-resource';

function trimBase(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** The resource identifier: `{base}/mcp/{connection}`, or `{base}` for the gateway. */
export function resourceUrl(baseUrl: string, connection?: string): string {
  const base = trimBase(baseUrl);
  return connection === undefined ? base : `${base}/mcp/${encodeURIComponent(connection)}`;
}

/**
 * Where a resource's metadata lives (RFC 9728 §3.1: the well-known segment goes between host and
 * path): `{base}/.well-known/oauth-protected-resource/mcp/{connection}`.
 */
export function resourceMetadataUrl(baseUrl: string, connection?: string): string {
  const base = trimBase(baseUrl);
  return connection === undefined ? `${base}${wellKnown}` : `${base}${wellKnown}/mcp/${encodeURIComponent(connection)}`;
}

/** The connection a request path addresses (`/mcp/{connection}[/...]`), if any. */
export function connectionFromPath(path: string): string | undefined {
  const pathname = path.split(/[?#]/, 1)[0] ?? '';
  const m = /^\/mcp\/([^/]+)/.exec(pathname);
  if (m === null) return undefined;
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    return undefined;
  }
}

/** Builds the RFC 9728 metadata document for the gateway or one connection. */
export function protectedResourceMetadata(o: ResourceMetadataOptions): ProtectedResourceMetadata {
  return {
    resource: resourceUrl(o.baseUrl, o.connection),
    ...(o.authorizationServers && o.authorizationServers.length > 0 ? { authorization_servers: [...o.authorizationServers] } : {}),
    ...(o.scopesSupported && o.scopesSupported.length > 0 ? { scopes_supported: [...o.scopesSupported] } : {}),
    bearer_methods_supported: ['header'],
    ...(o.resourceName === undefined ? {} : { resource_name: o.resourceName }),
    ...(o.resourceDocumentation === undefined ? {} : { resource_documentation: o.resourceDocumentation }),
  };
}

// RFC 6750 §3: error_description and scope allow %x20-21 / %x23-5B / %x5D-7E only, so quotes,
// backslashes and control characters are dropped rather than escaped.
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}

/** `Bearer resource_metadata="...", error="...", error_description="..."` for a 401. */
export function unauthorizedChallenge(o: {
  resourceMetadataUrl: string;
  error?: 'invalid_token' | 'invalid_request';
  description?: string;
}): string {
  const parts = [`resource_metadata=${quoted(o.resourceMetadataUrl)}`];
  if (o.error !== undefined) parts.push(`error=${quoted(o.error)}`);
  if (o.error !== undefined && o.description !== undefined) parts.push(`error_description=${quoted(o.description)}`);
  return `Bearer ${parts.join(', ')}`;
}

/** `Bearer error="insufficient_scope", scope="...", resource_metadata="..."` for a 403. */
export function insufficientScopeChallenge(o: { resourceMetadataUrl: string; scope: string; description?: string }): string {
  const parts = [`error="insufficient_scope"`, `scope=${quoted(o.scope)}`, `resource_metadata=${quoted(o.resourceMetadataUrl)}`];
  if (o.description !== undefined) parts.push(`error_description=${quoted(o.description)}`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The challenge for an authentication error. A request with no credentials gets no error code
 * (RFC 6750 §3.1); a token in the query string is an invalid_request; a lacking permission is a
 * 403 insufficient_scope; every other rejection is invalid_token.
 */
export function challengeFor(err: RegateError & { requiredScope?: string | undefined }, resourceMetadataUrl: string): string {
  if (err.status === 403) {
    return insufficientScopeChallenge({ resourceMetadataUrl, scope: err.requiredScope ?? '', description: err.message });
  }
  if (err.code === 'REGATE_ERR_AUTH_MISSING') return unauthorizedChallenge({ resourceMetadataUrl });
  const error = err.code === 'REGATE_ERR_AUTH_QUERY_TOKEN' ? 'invalid_request' : 'invalid_token';
  return unauthorizedChallenge({ resourceMetadataUrl, error, description: err.message });
}
