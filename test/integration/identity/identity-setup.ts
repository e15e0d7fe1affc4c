/** Builds a real identity layer (config schema -> createIdentity) against the local fakes. */
import type { TokenCredential } from '@azure/identity';
import { authConfigSchema } from '../../../src/identity/config.ts';
import { createIdentity, type Identity } from '../../../src/identity/create.ts';
import { fetchTrusting, type TestCa } from '../../helpers/test-ca.ts';

export const PUBLIC_URL = 'https://regate.test.example';
export const GRAPH_TOKEN = 'graph-access-token-for-regate';

export interface Warning {
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** A TokenCredential stand-in that records what it was asked for. */
export function recordingCredential(): TokenCredential & { calls: Array<{ scopes: string | string[]; tenantId?: string | undefined }> } {
  const calls: Array<{ scopes: string | string[]; tenantId?: string | undefined }> = [];
  return {
    calls,
    getToken: async (scopes, options) => {
      calls.push({ scopes, tenantId: options?.tenantId });
      return { token: GRAPH_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

/** Parses `auth` exactly as the config loader will, then builds the identity layer. */
export async function buildIdentity(
  ca: TestCa,
  auth: Record<string, unknown>,
  extra: { credential?: TokenCredential; warnings?: Warning[] } = {},
): Promise<Identity> {
  const config = authConfigSchema.parse(auth);
  return createIdentity(config, {
    publicBaseUrl: PUBLIC_URL,
    fetch: fetchTrusting(ca.caPem),
    logger: { warn: (obj, msg) => extra.warnings?.push({ obj, msg }) },
    ...(extra.credential === undefined ? {} : { credential: extra.credential }),
  });
}
