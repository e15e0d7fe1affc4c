/**
 * The embedded default's upstream: the demo CRM served over Streamable HTTP (`/mcp`) and legacy
 * HTTP+SSE (`/sse`), guarded by a bearer token that only the gateway holds.
 */
import { RegateError } from '../errors.ts';
import { CustomerStore } from './customer-store.ts';
import { DEFAULT_CUSTOMER_COUNT, DEFAULT_SEED, generateCustomers } from './customers.ts';
import { isAuthorizedBearer } from './bearer.ts';
import { createDemoMcpServer } from './mcp-server.ts';
import { startMcpHttpHost } from './mcp-http-host.ts';

export interface DemoServerOptions {
  /** Interface to listen on; default 127.0.0.1 (the demo is meant to be reachable only by regate). */
  readonly host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The credential regate injects (`Authorization: Bearer <requiredToken>`); anything else gets 401. */
  readonly requiredToken: string;
  /** Number of generated customers; default 50. */
  readonly customers?: number;
  /** Seed of the generated dataset; the default gives the documented demo data. */
  readonly seed?: number;
}

export interface DemoServer {
  /** Streamable HTTP endpoint, e.g. http://127.0.0.1:41234/mcp. */
  readonly url: string;
  /** Legacy HTTP+SSE endpoint, e.g. http://127.0.0.1:41234/sse. */
  readonly sseUrl: string;
  readonly port: number;
  /** The live table: tests can look at what a tool call changed. */
  readonly store: CustomerStore;
  /** Open MCP sessions (a DELETE through regate should make this drop). */
  activeSessions(): number;
  close(): Promise<void>;
}

/** Starts the demo CRM MCP server; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const { requiredToken } = options;
  if (typeof requiredToken !== 'string' || requiredToken.trim() === '' || /\s/.test(requiredToken)) {
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'demo server requiredToken must be a non-empty token without spaces');
  }
  const store = new CustomerStore(generateCustomers(options.customers ?? DEFAULT_CUSTOMER_COUNT, options.seed ?? DEFAULT_SEED));
  const host = await startMcpHttpHost({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    realm: 'regate-demo-crm',
    authorize: (req) => isAuthorizedBearer(req.headers.authorization, requiredToken),
    createServer: () => createDemoMcpServer(store),
  });
  return {
    url: host.url,
    sseUrl: host.sseUrl,
    port: host.port,
    store,
    activeSessions: host.activeSessions,
    close: host.close,
  };
}
