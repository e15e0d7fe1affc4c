import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';
import type { Lifecycle } from './lifecycle.ts';

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware: gives every request an id (the caller's `X-Request-Id` when it is sane), a
 * child logger carrying it (made on first use), in-flight tracking for shutdown, and one metrics sample when it ends.
 */
export function requestContext(log: Logger, metrics: Metrics, lifecycle: Lifecycle) {
  return (req: IncomingMessage & { path?: string }, res: ServerResponse & { locals: Record<string, unknown> }, next: () => void): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && validRequestId.test(given) ? given : randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = id;
    // The child logger is made on first use: most requests never log anything of their own.
    let child: Logger | undefined;
    Object.defineProperty(res.locals, 'log', { get: () => (child ??= log.child({ request_id: id })), enumerable: true, configurable: true });
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
