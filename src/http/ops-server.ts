import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import type { ComponentRegistry } from '../components/component.ts';
import { sendJson } from '../proxy/respond.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Metrics } from './metrics.ts';

/**
 * The operations routes: /healthz, /readyz, /metrics. /readyz names bundle locations and
 * components and /metrics names rules and connections, which is for operators, not for anyone who
 * can reach the MCP port: with `ops_listen` they are served on their own listener (bind it to a
 * private interface) and the public port keeps only MCP, the approval pages and the well-known
 * routes. Without it (the embedded default) they stay on the one port.
 */
export interface OpsDeps {
  readonly components: ComponentRegistry;
  readonly lifecycle: Lifecycle;
  readonly metrics: Metrics;
}

/** The three operations routes, for whichever listener serves them. */
export function opsRoutes({ components, lifecycle, metrics }: OpsDeps): Router {
  const r = express.Router();
  r.get('/healthz', (_req, res) => {
    res.locals.route = '/healthz';
    sendJson(res, 200, { status: 'ok' });
  });
  r.get('/readyz', (_req, res) => {
    res.locals.route = '/readyz';
    const report = components.report();
    const ready = report.ready && !lifecycle.draining;
    // Degraded (serving, something unhealthy, e.g. the transcript sink while events buffer) stays
    // 200: it must not take every replica out of the load balancer; alert on it instead.
    const status = ready ? (report.degraded ? 'degraded' : 'ready') : lifecycle.draining ? 'draining' : 'not ready';
    sendJson(res, ready ? 200 : 503, { status, components: report.components });
  });
  r.get('/metrics', async (_req, res) => {
    res.locals.route = '/metrics';
    const body = await metrics.registry.metrics();
    res.setHeader('content-type', metrics.registry.contentType);
    res.end(body);
  });
  return r;
}

export interface OpsServer {
  /** Base URL, e.g. http://127.0.0.1:9090 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the separate operations listener (`ops_listen`). */
export async function startOpsServer(listen: { readonly host: string; readonly port: number }, deps: OpsDeps): Promise<OpsServer> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(opsRoutes(deps));
  app.use((req, res) => sendJson(res, 404, { error: { code: 'REGATE_ERR_NOT_FOUND', message: 'the operations listener serves /healthz, /readyz and /metrics only' } }));
  // Operations requests have no bodies worth waiting for: Node's own request timeout suffices here.
  const server = http.createServer({ requestTimeout: 10_000 }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
