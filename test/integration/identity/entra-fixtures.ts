/** Realistic Entra access-token claim sets (shapes from Microsoft's access token reference). */
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const PARTNER_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
export const STRANGER_TENANT = '0b6c1f52-7d1e-4c3a-9f0e-2a8d5b6e7c41';
/** The API (regate) app registration: client id and App ID URI. */
export const API_CLIENT_ID = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
export const API_APP_ID_URI = 'api://regate-test';
/** The calling client app (an agent). */
export const AGENT_CLIENT_ID = 'b1a2c3d4-0000-4000-8000-00000000a9e7';
export const ALICE_OID = '00000000-0000-0000-66f3-3332eca7ea81';
export const AGENT_SP_OID = '11111111-2222-4333-8444-555555555555';
export const GROUP_FINANCE = 'a1b2c3d4-1111-4111-8111-000000000001';
export const GROUP_SUPPORT = 'a1b2c3d4-1111-4111-8111-000000000002';

const nowS = (): number => Math.floor(Date.now() / 1000);

/** A v2.0 delegated (user) token for the API. */
export function v2UserClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowS();
  return {
    aud: API_CLIENT_ID,
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    iat: now - 10,
    nbf: now - 10,
    exp: now + 3600,
    azp: AGENT_CLIENT_ID,
    azpacr: '0',
    name: 'Alice Example',
    oid: ALICE_OID,
    preferred_username: 'alice@contoso.example',
    scp: 'mcp.call',
    sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
    tid: TENANT,
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '2.0',
    groups: [GROUP_FINANCE, GROUP_SUPPORT],
    ...over,
  };
}

/** A v1.0 delegated (user) token for the API's App ID URI. */
export function v1UserClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowS();
  return {
    aud: API_APP_ID_URI,
    iss: `https://sts.windows.net/${TENANT}/`,
    iat: now - 10,
    nbf: now - 10,
    exp: now + 3600,
    appid: AGENT_CLIENT_ID,
    appidacr: '0',
    name: 'Alice Example',
    oid: ALICE_OID,
    scp: 'mcp.call',
    sub: 'l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA',
    tid: TENANT,
    unique_name: 'alice@contoso.example',
    upn: 'alice@contoso.example',
    ver: '1.0',
    groups: [GROUP_FINANCE],
    ...over,
  };
}

/** A v2.0 app-only (client credentials) token. */
export function v2AppClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowS();
  return {
    aud: API_CLIENT_ID,
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    iat: now - 10,
    nbf: now - 10,
    exp: now + 3600,
    azp: AGENT_CLIENT_ID,
    azpacr: '1',
    idtyp: 'app',
    oid: AGENT_SP_OID,
    roles: ['MCP.Invoke'],
    sub: AGENT_SP_OID,
    tid: TENANT,
    ver: '2.0',
    ...over,
  };
}
