import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionConfig } from '../config/schema.ts';
import { RegateError } from '../errors.ts';

/**
 * One forwarding job: where to send, what body to send, and who handles the answer.
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
  /**
   * Sends one request of regate's own (an answer to a server request refused by policy) and
   * resolves with the upstream's status once its answer is read; rejects when unreachable.
   */
  send(method: string, target: URL, headers: Readonly<Record<string, string>>, body: Buffer): Promise<number>;
  /** Closes pooled upstream sockets. */
  close(): void;
}

/**
 * Creates the forwarder for one connection: one `http.request` per forwarded exchange on a
 * keep-alive agent with TCP_NODELAY. regate handles every response itself (each message passes the
 * pipeline, SSE is relayed event by event), so all a forwarder has to do is send the computed headers
 * and body, apply regate's timeouts and tie the two sides' lifetimes together. This replaced
 * http-proxy-middleware on the hot path: see docs/proxy.md for the measured reason.
 *
 * - Headers: exactly `job.headers` (the allowlist + gateway credential) plus `Host` of the target
 *   and an exact `Content-Length` when there is a body; nothing of the client's request is copied.
 * - Timeouts: `response_seconds` from the moment the request is issued until the response headers
 *   arrive (time spent waiting for a pooled socket counts; a long tool call is bounded by this,
 *   not by a socket idle timer), within it `connect_seconds` until a new TCP (and TLS) connection
 *   is up, then `idle_seconds` of silence on the response (0 = none).
 * - A client that goes away before its response is complete cancels the upstream request; an
 *   upstream response that breaks off mid-way breaks off the client's too.
 */
export function createUpstream(connection: ConnectionConfig, opts: { maxSockets?: number } = {}): Upstream {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: opts.maxSockets ?? 512, maxFreeSockets: 64, noDelay: true };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const connectMs = connection.timeouts.connect_seconds * 1000;
  const responseMs = connection.timeouts.response_seconds * 1000;
  const idleMs = connection.timeouts.idle_seconds * 1000;
  const name = connection.name;

  return {
    forward(req, res, job) {
      const target = job.target;
      const secure = target.protocol === 'https:';
      const headers: Record<string, string | number> = { ...job.headers };
      if (job.body !== undefined) headers['content-length'] = job.body.length;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let connectTimer: NodeJS.Timeout | undefined;

      const proxyReq = (secure ? https : http).request({
        protocol: target.protocol,
        hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
        port: target.port || (secure ? 443 : 80),
        path: target.pathname + target.search,
        method: req.method,
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });

      const fail = (err: RegateError) => {
        clearTimeout(timer);
        clearTimeout(connectTimer);
        if (settled) return;
        settled = true;
        job.onError(err);
      };
      const expire = (ms: number, what: string) =>
        setTimeout(() => {
          fail(new RegateError('REGATE_ERR_UPSTREAM_TIMEOUT', `${name}: no ${what} within ${ms / 1000}s`));
          proxyReq.destroy();
        }, ms);
      // The response deadline runs from now: a request queued for a pooled socket spends it waiting.
      if (responseMs > 0) timer = expire(responseMs, 'response');

      proxyReq.once('socket', (socket: Socket) => {
        socket.setNoDelay(true);
        if (socket.connecting && connectMs > 0) {
          connectTimer = expire(connectMs, 'connection');
          socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
        }
      });
      proxyReq.on('error', (err: NodeJS.ErrnoException) => {
        // The client went away and the upstream request was cancelled with it: nobody to tell.
        if (res.destroyed && !settled) {
          settled = true;
          clearTimeout(timer);
          return;
        }
        fail(classify(name, err));
      });
      proxyReq.once('close', () => {
        clearTimeout(timer);
        clearTimeout(connectTimer);
      });
      proxyReq.once('response', (upstream: IncomingMessage) => {
        clearTimeout(timer);
        clearTimeout(connectTimer);
        if (settled) {
          upstream.resume();
          return;
        }
        settled = true;
        if (idleMs > 0) proxyReq.setTimeout(idleMs, () => upstream.destroy());
        if (!res.writableEnded) {
          res.once('close', () => upstream.destroy());
          upstream.once('close', () => {
            if (!upstream.complete && !res.destroyed) res.destroy();
          });
        }
        job.onResponse(upstream);
      });

      // A client that hangs up before its answer is complete cancels the upstream request.
      res.once('close', () => {
        if (!res.writableFinished) proxyReq.destroy();
      });

      proxyReq.end(job.body);
    },
    send(method, target, headers, body) {
      const secure = target.protocol === 'https:';
      return new Promise<number>((resolve, reject) => {
        const r = (secure ? https : http).request({
          protocol: target.protocol,
          hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
          port: target.port || (secure ? 443 : 80),
          path: target.pathname + target.search,
          method,
          headers: { ...headers, 'content-length': body.length },
          agent: secure ? httpsAgent : httpAgent,
          timeout: responseMs || connectMs,
        });
        r.once('timeout', () => r.destroy(new RegateError('REGATE_ERR_UPSTREAM_TIMEOUT', `${name}: no response`)));
        r.once('error', (err) => reject(classify(name, err)));
        r.once('response', (upstream) => {
          upstream.resume();
          upstream.once('end', () => resolve(upstream.statusCode ?? 502));
          upstream.once('error', (err) => reject(classify(name, err)));
        });
        r.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function classify(name: string, err: unknown): RegateError {
  if (err instanceof RegateError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ETIMEDOUT') return new RegateError('REGATE_ERR_UPSTREAM_TIMEOUT', `${name}: ${code}`, { cause: err });
  return new RegateError('REGATE_ERR_UPSTREAM_UNREACHABLE', `${name}: ${code ?? (err as Error)?.message ?? 'error'}`, { cause: err });
}
