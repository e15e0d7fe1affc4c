import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { ConnectionConfig } from '../config/schema.ts';
import { RegateError } from '../errors.ts';

/**
 * One forwarding job: where to send, what body to send, and who handles the answer. The proxy
 * middleware is created once per connection; jobs are attached to the inbound request.
 */
export interface ForwardJob {
  readonly target: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The (possibly rewritten) body; undefined for GET/DELETE. */
  readonly body: Buffer | undefined;
  /** Called once with the upstream response; the job owns writing the client response. */
  onResponse(upstream: IncomingMessage): void;
  /** Called once if the upstream could not be reached or timed out before answering. */
  onError(err: RegateError): void;
}

export interface Upstream {
  forward(req: IncomingMessage, res: ServerResponse, job: ForwardJob): void;
  /** Closes pooled upstream sockets. */
  close(): void;
}

/**
 * Creates the forwarder for one connection on http-proxy-middleware. regate handles responses
 * itself (`selfHandleResponse`): every message is parsed and handed to the hook, and SSE is
 * relayed event by event. Upstream sockets are pooled with keep-alive and TCP_NODELAY.
 */
export function createUpstream(connection: ConnectionConfig): Upstream {
  const origin = new URL(connection.url);
  const secure = origin.protocol === 'https:';
  const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: 512, maxFreeSockets: 64, noDelay: true };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const jobs = new WeakMap<IncomingMessage, ForwardJob & { settled?: boolean }>();
  const connectMs = connection.timeouts.connect_seconds * 1000;
  const responseMs = connection.timeouts.response_seconds * 1000;
  const idleMs = connection.timeouts.idle_seconds * 1000;

  const fail = (req: IncomingMessage, err: RegateError) => {
    const job = jobs.get(req);
    if (!job || job.settled) return;
    job.settled = true;
    job.onError(err);
  };

  const middleware: RequestHandler = createProxyMiddleware<IncomingMessage, ServerResponse>({
    router: (req) => jobs.get(req)!.target,
    ignorePath: true,
    changeOrigin: true,
    selfHandleResponse: true,
    xfwd: false,
    agent,
    on: {
      proxyReq(proxyReq, req) {
        const job = jobs.get(req);
        if (!job) return;
        // Replace the client's headers wholesale with the computed allowlist + gateway credential.
        for (const name of proxyReq.getHeaderNames()) if (name !== 'host') proxyReq.removeHeader(name);
        for (const [k, v] of Object.entries(job.headers)) proxyReq.setHeader(k, v);
        const socket = proxyReq.socket;
        socket?.setNoDelay(true);
        let timer: NodeJS.Timeout | undefined;
        const arm = (ms: number, what: string) => {
          clearTimeout(timer);
          if (ms > 0) {
            timer = setTimeout(() => {
              fail(req, new RegateError('REGATE_ERR_UPSTREAM_TIMEOUT', `${connection.name}: no ${what} within ${ms / 1000}s`));
              proxyReq.destroy();
            }, ms);
          }
        };
        if (socket && (socket as { connecting?: boolean }).connecting) {
          arm(connectMs, 'connection');
          socket.once('connect', () => arm(responseMs, 'response'));
        } else {
          arm(responseMs, 'response');
        }
        proxyReq.once('response', (upstream: IncomingMessage) => {
          clearTimeout(timer);
          if (idleMs > 0) {
            upstream.socket.setTimeout(idleMs, () => upstream.destroy());
          }
        });
        proxyReq.once('close', () => clearTimeout(timer));
        if (job.body !== undefined) {
          proxyReq.setHeader('content-length', job.body.length);
          proxyReq.removeHeader('transfer-encoding');
          proxyReq.write(job.body);
        } else {
          proxyReq.removeHeader('content-length');
        }
      },
      proxyRes(upstream, req) {
        const job = jobs.get(req);
        if (!job || job.settled) {
          upstream.resume();
          return;
        }
        job.settled = true;
        job.onResponse(upstream);
      },
      error(err, req) {
        fail(req, classify(connection, err));
      },
    },
  });

  return {
    forward(req, res, job) {
      jobs.set(req, job);
      middleware(req, res, (err?: unknown) => {
        if (err) fail(req, classify(connection, err));
      }).catch((err: unknown) => fail(req, classify(connection, err)));
    },
    close() {
      agent.destroy();
    },
  };
}

function classify(connection: ConnectionConfig, err: unknown): RegateError {
  if (err instanceof RegateError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ETIMEDOUT') return new RegateError('REGATE_ERR_UPSTREAM_TIMEOUT', `${connection.name}: ${code}`, { cause: err });
  return new RegateError('REGATE_ERR_UPSTREAM_UNREACHABLE', `${connection.name}: ${code ?? (err as Error)?.message ?? 'error'}`, { cause: err });
}
