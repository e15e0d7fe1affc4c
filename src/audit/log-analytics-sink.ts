/**
 * The Log Analytics sink: uploads through the Logs Ingestion API (data collection endpoint + rule)
 * with `@azure/monitor-ingestion`, authenticated by an `@azure/identity` credential. The HTTP Data
 * Collector API is retired; this is the only way in. The SDK retries a request three times itself
 * (honouring Retry-After on 429); the flusher retries beyond that with the same events.
 */
import {
  type TokenCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { isAggregateLogsUploadError, LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import type { CredentialConfig, LogAnalyticsConfig } from './config.ts';
import type { TranscriptEvent } from './event.ts';
import { parseRetryAfter, SinkError, type AuditSink } from './sink.ts';

/**
 * Azure SDK client options applied to both the credential and the ingestion client. Production
 * passes none; tests pass `{ tlsOptions: { ca } }` to trust a local fake's throwaway CA.
 */
export type AzureClientOptions = Pick<LogsIngestionClientOptions, 'tlsOptions' | 'httpClient' | 'retryOptions' | 'proxyOptions'>;

/** The credential `audit.log_analytics.credential` names. */
export function createCredential(c: CredentialConfig, clientOptions: AzureClientOptions = {}): TokenCredential {
  const authority = {
    ...clientOptions,
    ...(c.authority_host !== undefined ? { authorityHost: c.authority_host } : {}),
    disableInstanceDiscovery: c.disable_instance_discovery,
  };
  switch (c.type) {
    case 'client_secret':
      // The schema requires all three for this type.
      return new ClientSecretCredential(c.tenant_id ?? '', c.client_id ?? '', c.client_secret ?? '', authority);
    case 'managed_identity':
      return new ManagedIdentityCredential({ ...clientOptions, ...(c.client_id !== undefined ? { clientId: c.client_id } : {}) });
    case 'workload_identity':
      // Token file and the rest come from AZURE_FEDERATED_TOKEN_FILE etc. (the AKS webhook sets them).
      return new WorkloadIdentityCredential({
        ...authority,
        ...(c.tenant_id !== undefined ? { tenantId: c.tenant_id } : {}),
        ...(c.client_id !== undefined ? { clientId: c.client_id } : {}),
      });
    case 'default':
      return new DefaultAzureCredential({
        ...authority,
        ...(c.tenant_id !== undefined ? { tenantId: c.tenant_id } : {}),
        ...(c.client_id !== undefined ? { managedIdentityClientId: c.client_id, workloadIdentityClientId: c.client_id } : {}),
      });
  }
}

interface HttpFailure {
  readonly statusCode?: number;
  readonly response?: { readonly headers: { get(name: string): string | undefined } };
}

export class LogAnalyticsSink implements AuditSink {
  readonly name = 'log-analytics';
  readonly #client: LogsIngestionClient;
  readonly #ruleId: string;
  readonly #stream: string;

  constructor(config: LogAnalyticsConfig, credential: TokenCredential, clientOptions: AzureClientOptions = {}) {
    this.#client = new LogsIngestionClient(config.endpoint, credential, clientOptions);
    this.#ruleId = config.rule_id;
    this.#stream = config.stream;
  }

  async write(events: readonly TranscriptEvent[], signal: AbortSignal): Promise<void> {
    try {
      // The flusher keeps each batch under 1 MB, so this is one request (one SDK chunk).
      await this.#client.upload(this.#ruleId, this.#stream, [...events], { abortSignal: signal, maxConcurrency: 1 });
    } catch (err) {
      const cause: unknown = isAggregateLogsUploadError(err) ? err.errors[0]?.cause : err;
      const http = (cause ?? {}) as HttpFailure;
      const status = http.statusCode;
      const retryAfterMs = http.response ? parseRetryAfter(http.response.headers) : undefined;
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new SinkError(this.name, `upload failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${message}`, {
        cause: err,
        ...(status !== undefined ? { status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
  }

  async close(): Promise<void> {}
}
