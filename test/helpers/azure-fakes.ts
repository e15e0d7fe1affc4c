/**
 * Local HTTPS fakes of the two Azure endpoints session recording talks to, speaking their REST
 * contracts so that the real `@azure/identity` and `@azure/monitor-ingestion` clients drive them:
 *
 * - Entra ID (the authority a ClientSecretCredential uses through `authority_host`):
 *   `GET /{tenant}/v2.0/.well-known/openid-configuration` (MSAL's endpoint discovery) and
 *   `POST /{tenant}/oauth2/v2.0/token` (client_credentials grant, form-encoded). MSAL's instance
 *   discovery goes to login.microsoftonline.com for an authority it does not know; the tests turn
 *   it off (`disable_instance_discovery: true`), which makes MSAL trust the authority as given.
 * - Logs Ingestion: `POST /dataCollectionRules/{ruleId}/streams/{stream}?api-version=2023-01-01`
 *   with a bearer token from the fake authority, a JSON array body (gzip when Content-Encoding says
 *   so), 204 on success, 413 when the body is over 1 MB, and on demand 429 with Retry-After or 503.
 *
 * The certificate comes from the throwaway test CA: trust it in-process with
 * `azureClientOptions(ca)` or in a child process with NODE_EXTRA_CA_CERTS.
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { AzureClientOptions } from '../../src/audit/log-analytics-sink.ts';
import type { TranscriptEvent } from '../../src/audit/event.ts';
import { testCa, type TestCa } from './test-ca.ts';

/** The Logs Ingestion API's limit for one call. */
export const INGESTION_MAX_BYTES = 1024 * 1024;

export interface Refusal {
  /** `lost-answer`: the events are stored, then the connection is cut before the 204 (a lost response). */
  readonly status: 429 | 500 | 503 | 'lost-answer';
  /** Retry-After in seconds (sent when set). */
  readonly retryAfterSeconds?: number;
}

/** SDK options that trust the test CA and keep the SDK's own retries short. */
export function azureClientOptions(ca: TestCa, maxRetries = 1): AzureClientOptions {
  return { tlsOptions: { ca: ca.caPem }, retryOptions: { maxRetries, retryDelayInMs: 50, maxRetryDelayInMs: 500 } };
}

export class AzureFakes {
  readonly tenantId = '11111111-2222-3333-4444-555555555555';
  readonly clientId = '66666666-7777-8888-9999-000000000000';
  readonly clientSecret = `fake-secret-${randomBytes(8).toString('hex')}`;
  readonly ruleId = 'dcr-00000000000000000000000000000001';
  readonly stream = 'Custom-RegateTranscripts';
  /** Every event the ingestion fake accepted (with any duplicates, in arrival order). */
  readonly received: TranscriptEvent[] = [];
  /** Date.now() when each of `received` arrived (same index). */
  readonly arrivals: number[] = [];
  /** Status of every ingestion request, in order. */
  readonly statuses: number[] = [];
  readonly tokenRequests: Record<string, string>[] = [];
  #issued = new Set<string>();
  #refuse: ((n: number) => Refusal | undefined) | undefined;
  #hold = false;
  #server: https.Server;
  url = '';

  private constructor(ca: TestCa) {
    this.#server = https.createServer({ key: ca.keyPem, cert: ca.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks)));
    });
  }

  static async start(): Promise<AzureFakes> {
    const f = new AzureFakes(await testCa());
    await new Promise<void>((resolve) => f.#server.listen(0, '127.0.0.1', resolve));
    f.url = `https://127.0.0.1:${(f.#server.address() as AddressInfo).port}`;
    return f;
  }

  /** The `audit.log_analytics` block pointing at these fakes (client-secret credential). */
  logAnalyticsConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      endpoint: this.url,
      rule_id: this.ruleId,
      stream: this.stream,
      credential: {
        type: 'client_secret',
        tenant_id: this.tenantId,
        client_id: this.clientId,
        client_secret: this.clientSecret,
        authority_host: this.url,
        disable_instance_discovery: true,
      },
      ...overrides,
    };
  }

  /** Refuses ingestion requests while `decide(n)` (n = request number, from 0) returns a refusal. */
  refuse(decide: ((n: number) => Refusal | undefined) | undefined): void {
    this.#refuse = decide;
  }

  /** While held, ingestion requests get no answer (an upload stuck in flight). */
  hold(on: boolean): void {
    this.#hold = on;
  }

  /** True for an access token this fake's Entra endpoint issued (the Logs query fake checks bearers with it). */
  isIssued(token: string): boolean {
    return this.#issued.has(token);
  }

  /** Distinct event ids received. */
  ids(): Set<string> {
    return new Set(this.received.map((e) => e.event_id));
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #json(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  #handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', this.url);
    const t = this.tenantId;
    if (req.method === 'GET' && url.pathname === `/${t}/v2.0/.well-known/openid-configuration`) {
      const base = `${this.url}/${t}`;
      this.#json(res, 200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${this.url}/${t}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === `/${t}/oauth2/v2.0/token`) {
      const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      this.tokenRequests.push(form);
      if (form['grant_type'] !== 'client_credentials' || form['client_id'] !== this.clientId || form['client_secret'] !== this.clientSecret) {
        this.#json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        return;
      }
      const token = `fake-access-token-${randomBytes(12).toString('hex')}`;
      this.#issued.add(token);
      this.#json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
      return;
    }
    const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      this.#ingest(req, res, body, decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''), url);
      return;
    }
    this.#json(res, 404, { error: { code: 'NotFound', message: `no route ${req.method} ${url.pathname}` } });
  }

  #ingest(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    raw: Buffer,
    ruleId: string,
    stream: string,
    url: URL,
  ): void {
    const n = this.statuses.length;
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      this.statuses.push(status);
      if (body === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else this.#json(res, status, body, headers);
    };
    if (this.#hold) {
      this.statuses.push(0);
      return; // never answered; the client aborts or the server closes
    }
    if (url.searchParams.get('api-version') !== '2023-01-01') {
      answer(400, { error: { code: 'InvalidApiVersion', message: 'api-version must be 2023-01-01' } });
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !this.#issued.has(auth.slice(7))) {
      answer(401, { error: { code: 'InvalidToken', message: 'missing or unknown bearer token' } });
      return;
    }
    if (ruleId !== this.ruleId || stream !== this.stream) {
      answer(404, { error: { code: 'NotFound', message: 'unknown data collection rule or stream' } });
      return;
    }
    const refusal = this.#refuse?.(n);
    if (refusal !== undefined && refusal.status !== 'lost-answer') {
      const headers: Record<string, string> = refusal.retryAfterSeconds !== undefined ? { 'retry-after': String(refusal.retryAfterSeconds) } : {};
      answer(refusal.status, { error: { code: refusal.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'try later' } }, headers);
      return;
    }
    let text: Buffer;
    try {
      text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    } catch {
      answer(400, { error: { code: 'InvalidContentEncoding', message: 'body is not gzip' } });
      return;
    }
    if (raw.length > INGESTION_MAX_BYTES || text.length > INGESTION_MAX_BYTES) {
      answer(413, { error: { code: 'ContentLengthLimitExceeded', message: 'Maximum allowed content length: 1048576 bytes' } });
      return;
    }
    let events: unknown;
    try {
      events = JSON.parse(text.toString('utf8'));
    } catch {
      answer(400, { error: { code: 'InvalidJson', message: 'body is not JSON' } });
      return;
    }
    if (!Array.isArray(events)) {
      answer(400, { error: { code: 'InvalidPayload', message: 'body must be a JSON array' } });
      return;
    }
    this.received.push(...(events as TranscriptEvent[]));
    const now = Date.now();
    for (let i = 0; i < events.length; i++) this.arrivals.push(now);
    if (refusal?.status === 'lost-answer') {
      this.statuses.push(0);
      req.socket.destroy();
      return;
    }
    answer(204);
  }
}
