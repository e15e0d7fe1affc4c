import assert from 'node:assert/strict';
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, WorkloadIdentityCredential } from '@azure/identity';
import { credentialSchema } from '../../../src/audit/config.ts';
import { createCredential } from '../../../src/audit/log-analytics-sink.ts';

describe('audit.log_analytics.credential -> @azure/identity credential', () => {
  const cases = [
    ['default', {}, DefaultAzureCredential],
    ['managed_identity', { client_id: '00000000-0000-0000-0000-000000000001' }, ManagedIdentityCredential],
    ['workload_identity', { tenant_id: 't', client_id: 'c' }, WorkloadIdentityCredential],
    ['client_secret', { tenant_id: 't', client_id: 'c', client_secret: 's', authority_host: 'https://login.microsoftonline.us' }, ClientSecretCredential],
  ] as const;
  for (const [type, extra, cls] of cases) {
    it(`${type} builds a ${cls.name}`, () => {
      const env = { ...process.env };
      // WorkloadIdentityCredential reads its token file path from the environment (the AKS webhook sets it).
      process.env['AZURE_FEDERATED_TOKEN_FILE'] = '/var/run/secrets/azure/tokens/azure-identity-token';
      try {
        assert.ok(createCredential(credentialSchema.parse({ type, ...extra })) instanceof cls);
      } finally {
        process.env = env;
      }
    });
  }
});
