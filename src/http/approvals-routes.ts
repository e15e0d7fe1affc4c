/**
 * The approvers' JSON API (binding routes of DESIGN.md), bearer-authenticated like MCP traffic:
 *
 *   GET  /approvals                 pending requests the caller may decide (the page for a browser)
 *   GET  /approvals/{id}            one request (its requester or someone who may decide it)
 *   POST /approvals/{id}/approve    {comment?}  -> 200 | 403 may not decide | 409 decided or expired
 *   POST /approvals/{id}/deny       {comment?}
 *   POST /approvals/{id}/cancel     the requester withdraws a pending request (403 anyone else)
 *
 * An unknown (or forged) id is 404. Browsers asking for HTML get the approval page instead
 * (src/http/approval-pages/), which signs people in with a cookie session.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { ApprovalBook } from '../approvals/book.ts';
import type { Voter } from '../approvals/record.ts';
import { approvalView, decidableBy, maySee } from '../approvals/view.ts';
import { RegateError, asRegateError } from '../errors.ts';
import type { Identity } from '../identity/create.ts';
import type { Principal } from '../identity/principal.ts';
import { sendJson } from '../proxy/respond.ts';
import { bearerAuthentication } from './auth.ts';

export interface ApprovalRoutesDeps {
  readonly book: ApprovalBook;
  readonly identity: Identity;
  /** Base URL of the approvals routes as people reach them (known once listening). */
  readonly pageUrl: () => string;
  readonly log: Logger;
  /** The HTML page (mounted first; it passes requests that do not want HTML on). */
  readonly page?: Router;
}

const COMMENT_LIMIT = 1000;

/** The person behind a principal (or a page session), as the lifecycle sees them. */
export function voterOf(p: Pick<Principal, 'id' | 'name' | 'groups'>): Voter {
  return { id: p.id, name: p.name, groups: p.groups };
}

/** Sends a RegateError as `{error: {code, message}}` with its HTTP status. */
export function sendApiError(res: Response, err: RegateError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } });
}

/** Reads `{comment}` (optional string, capped); anything else in the body is refused. */
export function commentOf(body: unknown): string | undefined {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return undefined;
  const c = (body as { comment?: unknown }).comment;
  if (typeof body !== 'object' || Array.isArray(body) || (c !== undefined && typeof c !== 'string')) {
    throw new RegateError('REGATE_ERR_INVALID_REQUEST', 'the body must be {"comment": "<text>"} (comment optional)');
  }
  return trimComment(c);
}

/** An approver's comment as it is kept: trimmed, capped, none when empty. */
export function trimComment(c: string | undefined): string | undefined {
  const t = c?.trim();
  return t ? t.slice(0, COMMENT_LIMIT) : undefined;
}

/** The approvals router; mount it on the application root. */
export function approvalsRoutes(deps: ApprovalRoutesDeps): Router {
  const { book, pageUrl } = deps;
  const r = express.Router();
  r.use('/approvals', (_req, res, next) => {
    res.locals.route = '/approvals';
    res.setHeader('cache-control', 'no-store');
    next();
  });
  if (deps.page) r.use(deps.page);
  const bearer = bearerAuthentication(deps.identity);
  const json = express.json({ limit: '16kb', type: () => true });
  const voter = (res: Response) => voterOf(res.locals.principal as Principal);

  r.get('/approvals', bearer, async (_req, res, next) => {
    try {
      const me = voter(res);
      sendJson(res, 200, { approvals: await decidableBy(book, me, pageUrl()) });
    } catch (err) {
      next(err);
    }
  });

  r.get('/approvals/:id', bearer, async (req, res, next) => {
    try {
      const a = await book.get(String(req.params.id));
      const me = voter(res);
      if (a === undefined || !maySee(a, me)) return sendApiError(res, new RegateError('REGATE_ERR_APPROVAL_NOT_FOUND'));
      sendJson(res, 200, approvalView(a, me, pageUrl()));
    } catch (err) {
      next(err);
    }
  });

  for (const decision of ['approve', 'deny'] as const) {
    r.post(`/approvals/:id/${decision}`, bearer, json, async (req, res, next) => {
      try {
        const comment = commentOf(req.body);
        const me = voter(res);
        const done = await book.vote(String(req.params.id), me, decision, comment);
        if (!done.ok) return sendApiError(res, done.error);
        sendJson(res, 200, approvalView(done.record, me, pageUrl()));
      } catch (err) {
        next(err);
      }
    });
  }

  r.post('/approvals/:id/cancel', bearer, json, async (req, res, next) => {
    try {
      const me = voter(res);
      const id = String(req.params.id);
      const a = await book.get(id);
      if (a === undefined || !maySee(a, me)) return sendApiError(res, new RegateError('REGATE_ERR_APPROVAL_NOT_FOUND'));
      if (a.requester.id !== me.id) return sendApiError(res, new RegateError('REGATE_ERR_APPROVAL_FORBIDDEN', 'only the requester may withdraw a request'));
      const done = await book.cancel(id, 'the requester withdrew it');
      if (!done.ok) return sendApiError(res, done.error);
      if (!done.changed) return sendApiError(res, new RegateError('REGATE_ERR_APPROVAL_CONFLICT', `the request is ${done.record.status}`));
      sendJson(res, 200, approvalView(done.record, me, pageUrl()));
    } catch (err) {
      next(err);
    }
  });

  r.use('/approvals', (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = (err as { type?: string }).type === 'entity.parse.failed' ? new RegateError('REGATE_ERR_PARSE') : asRegateError(err);
    if (e.status >= 500) deps.log.error({ err, code: e.code }, 'approvals API failed');
    sendApiError(res, e);
  });
  return r;
}
