import type { RequestHandler } from 'express';
import { RegateError } from '../errors.ts';
import { sendRpcError } from '../proxy/respond.ts';

/**
 * Errors the router raises because of the request itself, not because regate failed: a path whose
 * percent-encoding does not decode (`/mcp/%E0%A4%A`) makes Express throw a URIError marked 400.
 * Such a request is bad input, answered 400 without a stack trace in the log; undefined for
 * anything else (a real internal error).
 */
export function requestErrorOf(err: unknown): RegateError | undefined {
  return err instanceof URIError ? new RegateError('REGATE_ERR_MALFORMED_PATH') : undefined;
}

/**
 * Answers a method the route does not serve with 405 and `Allow`. Registered for HEAD before the
 * GET routes: Express would otherwise run the GET handler for HEAD and forward a HEAD upstream.
 */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, res) => {
    res.locals.route = req.path.startsWith('/sse') ? '/sse' : '/mcp';
    req.resume();
    res.setHeader('allow', allow);
    sendRpcError(res, new RegateError('REGATE_ERR_METHOD_NOT_ALLOWED', req.method));
  };
}
