import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';
import type { Lifecycle } from './lifecycle.ts';

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware: gives every request regate's own id (the caller's sane `X-Request-Id` is kept
 * as `client_request_id`), a
 * child logger carrying it (made on first use), in-flight tracking for shutdown, and one metrics sample when it ends.
 */
export function requestContext(log: Logger, metrics: Metrics, lifecycle: Lifecycle) {
  return (req: IncomingMessage & { path?: string }, res: ServerResponse & { locals: Record<string, unknown> }, next: () => void): void => {
    // regate's id is always regate's own: a client-chosen one could make its log entries collide
    // with another caller's. The client's (sane) value is kept beside it as client_request_id.
    const given = req.headers['x-request-id'];
    const clientId = typeof given === 'string' && validRequestId.test(given) ? given : undefined;
    const id = randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = id;
    if (clientId !== undefined) res.locals.clientRequestId = clientId;
    // The child logger is made on first use: most requests never log anything of their own.
    let child: Logger | undefined;
    const bindings = clientId === undefined ? { request_id: id } : { request_id: id, client_request_id: clientId };
    Object.defineProperty(res.locals, 'log', { get: () => (child ??= log.child(bindings)), enumerable: true, configurable: true });
    res.setHeader('x-request-id', id);
    lifecycle.begin(res);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (res.locals.route as string | undefined) ?? 'other';
      metrics.request(route, req.method ?? 'GET', res.statusCode, seconds);
      if (log.isLevelEnabled('debug')) (res.locals.log as Logger).debug({ method: req.method, path: req.path ?? req.url, status: res.statusCode, ms: seconds * 1000 }, 'request');
    });
    next();
  };
}
