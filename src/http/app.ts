import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { ComponentRegistry } from '../components/component.ts';
import type { Config, ConnectionConfig } from '../config/schema.ts';
import { RegateError, asRegateError } from '../errors.ts';
import type { Principal } from '../identity/principal.ts';
import type { ExchangeFacts } from '../pipeline/call-record.ts';
import type { Pipeline } from '../pipeline/compose.ts';
import { LegacySessions, handleLegacyMessage, handleLegacyStream } from '../proxy/legacy-sse.ts';
import { sendJson, sendRpcError } from '../proxy/respond.ts';
import { handleStreamableOther, handleStreamablePost, type Exchange, type ProxyDeps } from '../proxy/streamable.ts';
import { createUpstream, type Upstream } from '../proxy/upstream.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Metrics } from './metrics.ts';
import { bearerAuthentication } from './auth.ts';
import { requestContext } from './request-context.ts';
import { opsRoutes } from './ops-server.ts';
import { clientAddressResolver } from './client-address.ts';
import { methodNotAllowed, requestErrorOf } from './request-errors.ts';
import type { Identity } from '../identity/create.ts';
import { ClientRequests } from '../proxy/client-requests.ts';
import { InFlightRequests } from '../proxy/in-flight.ts';
import { Limits } from '../proxy/limits.ts';
import { SessionBindings } from '../proxy/session-binding.ts';
import { admitRequest, sessionAwareUpstream, takeSlot } from '../proxy/session-gate.ts';
import type { Store } from '../store/store.ts';
import { sessionsRoutes, type SessionsRouteDeps } from './sessions-routes.ts';

export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  readonly components: ComponentRegistry;
  readonly pipeline: Pipeline;
  /** Seconds between keepalives (and progress notifications) on a held call; default 15. */
  readonly holdKeepaliveSeconds?: number;
  /** Bearer authentication for every MCP route; without it regate is a bare proxy (tests only). */
  readonly identity?: Identity;
  /** Shared state: session owners and per-principal slots. */
  readonly store: Store;
  /** The approvals API and page (src/http/approvals-routes.ts), when approvals are enabled. */
  readonly approvals?: RequestHandler;
  /** GET /sessions/{id} (recorded timelines for principals the policy allows); mounted with identity only. */
  readonly sessions?: SessionsRouteDeps;
}

export interface App {
  /** The request listener: the MCP hot path first, then the Express application. */
  readonly handler: RequestListener;
  /** Closes pooled upstream connections. */
  close(): void;
}

function unknownConnection(res: ServerResponse, name: string): void {
  sendJson(res, 404, { error: { code: 'REGATE_ERR_UNKNOWN_CONNECTION', message: `no MCP connection named "${name}" is configured` } });
}

/** A response with Express's per-request `locals` (set by Express, or by the hot path). */
type WithLocals = ServerResponse & { locals: Record<string, unknown> };

/** A connection name as it appears in a path that needs no decoding or normalising. */
const plainName = /^[A-Za-z0-9._~-]+$/;

/** Builds the Express application: operations routes, then MCP routes behind authentication. */
export function createApp(deps: AppDeps): App {
  const { config, log, metrics, lifecycle, components } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  const upstreams = new Map<string, { connection: ConnectionConfig; upstream: Upstream }>();
  for (const c of config.connections) upstreams.set(c.name, { connection: c, upstream: createUpstream(c, { maxSockets: Limits.socketsFor(config.limits.per_connection) }) });
  const gate = {
    bindings: new SessionBindings({ store: deps.store, ttlMs: config.sessions.ttl_seconds * 1000, hashKey: config.sessions.hash_key, maxPerPrincipal: config.limits.per_principal.max_sessions }),
    limits: new Limits({ store: deps.store, perPrincipal: config.limits.per_principal, perConnection: config.limits.per_connection, connections: config.connections.map((c) => c.name), registry: metrics.registry }),
    onSession: (phase: 'start' | 'end', facts: ExchangeFacts, sessionId: string) => deps.pipeline.session(phase, facts, sessionId),
  };
  components.add(gate.limits.component);
  const legacySessions = new LegacySessions();
  const publicBase = (config.public_url ?? '').replace(/\/+$/, '');
  const proxyDeps: ProxyDeps = {
    pipeline: deps.pipeline,
    metrics,
    limits: config.limits,
    trackStream: (res, kind) => lifecycle.trackStream(res, kind),
    holdKeepaliveSeconds: deps.holdKeepaliveSeconds ?? 15,
    sessionRef: (id) => gate.bindings.ref(id),
    inFlight: new InFlightRequests(),
    clientRequests: new ClientRequests({ store: deps.store, log: () => log }),
  };

  metrics.watchComponents(() => components.report());
  const clientAddress = clientAddressResolver(config.listen.trusted_proxies ?? []);
  const context = requestContext(log, metrics, lifecycle);
  app.use(context);

  // With ops_listen, /healthz, /readyz and /metrics are served there and not on this port.
  if (!config.ops_listen) app.use(opsRoutes({ components, lifecycle, metrics }));

  if (deps.identity) {
    const identity = deps.identity;
    // RFC 9728: where agents learn which authorization server issues tokens for regate.
    app.get('/.well-known/oauth-protected-resource', (_req, res) => {
      res.locals.route = '/.well-known/oauth-protected-resource';
      sendJson(res, 200, identity.metadata(), { 'cache-control': 'public, max-age=3600' });
    });
    app.get(['/.well-known/oauth-protected-resource/mcp/:connection', '/.well-known/oauth-protected-resource/sse/:connection'], (req, res) => {
      res.locals.route = '/.well-known/oauth-protected-resource';
      const name = String(req.params.connection);
      if (!upstreams.has(name)) return unknownConnection(res, name);
      sendJson(res, 200, identity.metadata(name), { 'cache-control': 'public, max-age=3600' });
    });
  }

  if (deps.approvals) app.use(deps.approvals);
  if (deps.sessions && deps.identity) app.use(sessionsRoutes({ ...deps.sessions, authenticate: bearerAuthentication(deps.identity), clientAddress }));

  // Everything below is MCP traffic: refused while draining, then authenticated. These steps run
  // on both ways in (the router, and the hot path below): add a step here, never to one of them.
  const refuseWhileDraining: RequestHandler = (_req, res, next) => {
    if (lifecycle.draining) return sendRpcError(res, new RegateError('REGATE_ERR_SHUTTING_DOWN'));
    next();
  };
  const mcpSteps: readonly RequestHandler[] = [refuseWhileDraining, ...(deps.identity ? [bearerAuthentication(deps.identity)] : [])];
  const mcp = express.Router();
  mcp.use(['/mcp', '/sse'], ...mcpSteps);

  const exchange = (req: IncomingMessage, res: WithLocals, name: string, path: string, route: string): Exchange | undefined => {
    res.locals.route = route;
    const entry = upstreams.get(name);
    if (!entry) {
      req.resume();
      unknownConnection(res, name);
      return undefined;
    }
    const version = req.headers['mcp-protocol-version'];
    const sessionId = typeof req.headers['mcp-session-id'] === 'string' ? req.headers['mcp-session-id'] : undefined;
    let abort: AbortController | undefined;
    const facts: ExchangeFacts = {
      requestId: res.locals.requestId as string,
      clientRequestId: res.locals.clientRequestId as string | undefined,
      connection: entry.connection,
      sessionId,
      sessionRef: sessionId !== undefined ? gate.bindings.ref(sessionId) : undefined,
      era: '2025',
      protocolVersion: typeof version === 'string' ? version : undefined,
      http: { method: req.method ?? 'GET', path, remoteAddress: clientAddress(req), headers: req.headers },
      principal: res.locals.principal as Principal | undefined,
      // Made on first use (only a held call waits on it): aborted when the client hangs up before
      // its answer is complete, or when regate starts draining.
      get signal() {
        if (abort === undefined) {
          const controller = (abort = new AbortController());
          const hungUp = () => {
            if (!res.writableFinished) controller.abort(new RegateError('REGATE_ERR_HOLD_INTERRUPTED', 'the client hung up'));
          };
          // Already closed: no close event is coming, and no drain can concern it.
          if (res.closed) hungUp();
          else {
            const forget = lifecycle.onDrain(controller);
            // Forgotten however the response ends: most finish without an abort.
            res.once('close', () => {
              hungUp();
              forget();
            });
          }
        }
        return abort.signal;
      },
    };
    let log: Logger | undefined;
    // Made on first use (a warning, an error): a call that goes well logs nothing of its own.
    const logOf = () => (log ??= (res.locals.log as Logger).child({ connection: entry.connection.name }));
    return {
      req,
      res,
      connection: entry.connection,
      upstream: route === '/mcp' ? sessionAwareUpstream(gate, entry.upstream, facts, logOf) : entry.upstream,
      facts,
      get log() {
        return logOf();
      },
    };
  };
  const wrongTransport = (res: ServerResponse, c: ConnectionConfig, want: string) =>
    sendJson(res, 404, {
      error: { code: 'REGATE_ERR_NOT_FOUND', message: `connection "${c.name}" uses transport ${c.transport}; use ${want}` },
    });

  const streamablePost = async (req: IncomingMessage, res: WithLocals, name: string, path: string): Promise<void> => {
    const x = exchange(req, res, name, path, '/mcp');
    if (!x) return;
    if (x.connection.transport !== 'streamable-http') return wrongTransport(res, x.connection, `/sse/${x.connection.name}`);
    // A client answering a question regate put to it while its calls are held (they keep their
    // slots) is admitted first and takes a slot only if its POST carries more than answers.
    const answering = proxyDeps.clientRequests?.awaits(x.facts) === true;
    if (!(await admitRequest(gate, req, res, x.facts, 'call', true, !answering))) return;
    await handleStreamablePost(x, proxyDeps, answering ? () => takeSlot(gate, req, res, x.facts, 'call') : undefined);
  };
  mcp.head('/mcp/:connection', methodNotAllowed('GET, POST, DELETE'));
  mcp.head('/sse/:connection', methodNotAllowed('GET'));
  mcp.post('/mcp/:connection', (req, res) => streamablePost(req, res, String(req.params.connection), req.path));
  mcp.get('/mcp/:connection', async (req, res) => {
    const x = exchange(req, res, String(req.params.connection), req.path, '/mcp');
    if (!x) return;
    if (x.connection.transport !== 'streamable-http') return wrongTransport(res, x.connection, `/sse/${x.connection.name}`);
    if (!(await admitRequest(gate, req, res, x.facts, 'stream', true))) return;
    await handleStreamableOther(x, proxyDeps);
  });
  mcp.delete('/mcp/:connection', async (req, res) => {
    const x = exchange(req, res, String(req.params.connection), req.path, '/mcp');
    if (!x) return;
    if (x.connection.transport !== 'streamable-http') return wrongTransport(res, x.connection, `/sse/${x.connection.name}`);
    if (!(await admitRequest(gate, req, res, x.facts, 'call', true))) return;
    await handleStreamableOther(x, proxyDeps);
  });
  mcp.all('/mcp/:connection', (req, res) => {
    res.locals.route = '/mcp';
    req.resume();
    res.setHeader('allow', 'GET, POST, DELETE');
    sendRpcError(res, new RegateError('REGATE_ERR_METHOD_NOT_ALLOWED', req.method));
  });
  mcp.get('/sse/:connection', async (req, res) => {
    const x = exchange(req, res, String(req.params.connection), req.path, '/sse');
    if (!x) return;
    if (x.connection.transport !== 'sse') return wrongTransport(res, x.connection, `/mcp/${x.connection.name}`);
    if (!(await admitRequest(gate, req, res, x.facts, 'stream', false))) return;
    await handleLegacyStream(x, proxyDeps, legacySessions, publicBase);
  });
  mcp.post('/sse/:connection/message', async (req, res) => {
    const x = exchange(req, res, String(req.params.connection), req.path, '/sse/message');
    if (!x) return;
    const sid = typeof req.query.session_id === 'string' ? req.query.session_id : '';
    if (!(await admitRequest(gate, req, res, x.facts, 'call', false))) return;
    await handleLegacyMessage(x, proxyDeps, legacySessions, sid);
  });
  app.use(mcp);

  app.use((req: Request, res: Response) => {
    res.locals.route = 'unmatched';
    req.resume();
    sendJson(res, 404, { error: { code: 'REGATE_ERR_NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
  });
  const unhandled = (err: unknown, res: WithLocals) => {
    const bad = requestErrorOf(err);
    if (bad) return sendRpcError(res, bad); // the client's mistake: no stack trace in the log
    const e = asRegateError(err);
    (res.locals.log as Logger | undefined)?.error({ err, code: e.code }, 'unhandled error');
    sendRpcError(res, e);
  };
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => unhandled(err, res));

  /**
   * The hot path: `POST /mcp/{connection}` with a plain connection name skips Express routing and
   * runs the same steps the router would (request context, draining check, authentication, the
   * same handler, the same error handler). Anything else (other methods, other spellings of the
   * path, a query string, unknown connections) goes through Express as before.
   */
  const fastPost = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url;
    if (req.method !== 'POST' || url === undefined || !url.startsWith('/mcp/')) return false;
    const name = url.slice(5);
    const entry = upstreams.get(name);
    if (entry === undefined || entry.connection.transport !== 'streamable-http' || !plainName.test(name)) return false;
    const r = res as WithLocals;
    r.locals = Object.create(null) as Record<string, unknown>;
    // What Express links up and regate's middleware reads (passport, the bearer strategy).
    (req as IncomingMessage & { res?: ServerResponse }).res = res;
    const fail = (err: unknown) => unhandled(err, r);
    let step = 0;
    // Express's `next`, for the same steps the router runs.
    const next = (err?: unknown): void => {
      if (err) return fail(err);
      const handler = mcpSteps[step++];
      if (handler === undefined) return void streamablePost(req, r, name, url).catch(fail);
      try {
        void handler(req as Request, r as unknown as Response, next);
      } catch (e) {
        fail(e);
      }
    };
    context(req, r, () => next());
    return true;
  };

  return {
    handler: (req, res) => {
      if (!fastPost(req, res)) app(req, res);
    },
    close: () => {
      for (const u of upstreams.values()) u.upstream.close();
      void proxyDeps.clientRequests?.close().catch(() => {});
    },
  };
}
