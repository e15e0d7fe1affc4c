import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import type { Logger } from 'pino';
import { RegateError, asRegateError } from '../errors.ts';
import { AuthError } from '../identity/auth-error.ts';
import { authFailureOf } from '../identity/passport-strategy.ts';
import type { Identity } from '../identity/create.ts';
import type { Principal } from '../identity/principal.ts';
import { sendRpcError } from '../proxy/respond.ts';

/**
 * Bearer authentication in front of every MCP route, through passport and regate's strategy. On
 * success the Principal is in `res.locals.principal`. On failure the agent gets the RFC 6750 /
 * RFC 9728 challenge and a JSON-RPC error saying why; the upstream sees nothing.
 */
export function bearerAuthentication(identity: Identity): RequestHandler {
  const pp = new passport.Passport();
  pp.use(identity.strategy);
  return (req: Request, res: Response, next: NextFunction) => {
    pp.authenticate('regate-bearer', { session: false }, (err: unknown, user: Principal | false) => {
      if (err) {
        req.resume();
        const e = asRegateError(err);
        (res.locals.log as Logger).warn({ code: e.code, detail: e.detail }, 'token could not be checked');
        return sendRpcError(res, e);
      }
      if (!user) {
        req.resume();
        // The strategy always records why it failed; anything else is a bug, refused all the same.
        const failure = authFailureOf(req) ?? new RegateError('REGATE_ERR_INTERNAL', 'authentication failed without a reason');
        if (failure instanceof AuthError && failure.wwwAuthenticate) res.setHeader('www-authenticate', failure.wwwAuthenticate);
        (res.locals.log as Logger).info({ code: failure.code, status: failure.status }, 'authentication refused');
        return sendRpcError(res, failure);
      }
      res.locals.principal = user;
      next();
    })(req, res, next);
  };
}
