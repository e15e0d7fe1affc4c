import assert from 'node:assert/strict';
import { AuthError } from '../../../src/identity/auth-error.ts';
import {
  challengeFor, connectionFromPath, insufficientScopeChallenge, protectedResourceMetadata, resourceMetadataUrl, unauthorizedChallenge,
} from '../../../src/identity/protected-resource.ts';

const BASE = 'https://regate.example.com/';

describe('RFC 9728 protected resource metadata', () => {
  it('describes one connection, header-only bearer tokens, and its authorization server', () => {
    assert.deepEqual(
      protectedResourceMetadata({
        baseUrl: BASE,
        connection: 'crm',
        authorizationServers: ['https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0'],
        scopesSupported: ['api://regate/mcp.call'],
      }),
      {
        resource: 'https://regate.example.com/mcp/crm',
        authorization_servers: ['https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0'],
        scopes_supported: ['api://regate/mcp.call'],
        bearer_methods_supported: ['header'],
      },
    );
  });

  it('describes the gateway as a whole and omits empty lists', () => {
    assert.deepEqual(protectedResourceMetadata({ baseUrl: BASE, authorizationServers: [], scopesSupported: [] }), {
      resource: 'https://regate.example.com',
      bearer_methods_supported: ['header'],
    });
  });

  it('puts the well-known segment between host and path (RFC 9728 §3.1)', () => {
    assert.equal(resourceMetadataUrl(BASE, 'crm'), 'https://regate.example.com/.well-known/oauth-protected-resource/mcp/crm');
    assert.equal(resourceMetadataUrl(BASE), 'https://regate.example.com/.well-known/oauth-protected-resource');
  });

  const paths: Array<[string, string | undefined]> = [
    ['/mcp/crm', 'crm'],
    ['/mcp/crm?x=1', 'crm'],
    ['/mcp/crm/extra', 'crm'],
    ['/mcp/my%20conn', 'my conn'],
    ['/sse/crm', undefined],
    ['/mcp/', undefined],
    ['/', undefined],
  ];
  for (const [path, connection] of paths) {
    it(`reads the connection of ${path} as ${String(connection)}`, () => {
      assert.equal(connectionFromPath(path), connection);
    });
  }
});

describe('WWW-Authenticate challenges (RFC 6750 §3)', () => {
  const META = 'https://regate.example.com/.well-known/oauth-protected-resource/mcp/crm';

  it('401 without credentials: only the metadata, no error code', () => {
    assert.equal(challengeFor(new AuthError('REGATE_ERR_AUTH_MISSING'), META), `Bearer resource_metadata="${META}"`);
  });

  it('401 for a bad token: invalid_token with a description', () => {
    assert.equal(
      challengeFor(new AuthError('REGATE_ERR_AUTH_EXPIRED'), META),
      `Bearer resource_metadata="${META}", error="invalid_token", error_description="the token has expired; get a new one"`,
    );
  });

  it('401 for a query-string token: invalid_request', () => {
    assert.match(challengeFor(new AuthError('REGATE_ERR_AUTH_QUERY_TOKEN'), META), /error="invalid_request"/);
  });

  it('403 for a missing scope: insufficient_scope naming it', () => {
    const err = new AuthError('REGATE_ERR_AUTH_INSUFFICIENT_SCOPE', 'x', { requiredScope: 'mcp.call' });
    assert.match(challengeFor(err, META), /^Bearer error="insufficient_scope", scope="mcp.call", resource_metadata="[^"]+", error_description="[^"]+"$/);
    assert.equal(insufficientScopeChallenge({ resourceMetadataUrl: META, scope: 'a b' }), `Bearer error="insufficient_scope", scope="a b", resource_metadata="${META}"`);
  });

  it('drops characters RFC 6750 does not allow in quoted values, so no header can be injected', () => {
    const value = unauthorizedChallenge({ resourceMetadataUrl: META, error: 'invalid_token', description: 'bad "kid"\\\r\nSet-Cookie: x=1' });
    assert.equal(value, `Bearer resource_metadata="${META}", error="invalid_token", error_description="bad kidSet-Cookie: x=1"`);
  });
});
