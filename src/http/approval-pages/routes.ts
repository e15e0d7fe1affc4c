/**
 * The approval page: a browser (no Authorization header, asking for HTML) gets server-rendered
 * pages behind a cookie session; everything else falls through to the JSON API. Decisions go
 * through the same book (and the same separation-of-duties checks) as the API.
 *
 * Sign-in: with dev auth, a form that takes a dev token; with entra or oidc and `approvals.signin`
 * configured, OIDC authorization code + PKCE (oidc-signin.ts) ending at /approvals/callback;
 * without `signin`, the page says so and the JSON API works with bearer tokens.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { ApprovalBook } from '../../approvals/book.ts';
import { approvalView, decidableBy, maySee } from '../../approvals/view.ts';
import { trimComment, voterOf } from '../approvals-routes.ts';
import { escapeHtml } from '../../text/html.ts';
import { RegateError, asRegateError } from '../../errors.ts';
import type { Identity } from '../../identity/create.ts';
import { continuePage, detailPage, devSignInPage, layout, listPage, signedOutPage, signInFailedPage } from './html.ts';
import { SIGNIN_TTL_MS, type OidcSignIn } from './oidc-signin.ts';
import { OIDC_STATE_COOKIE, PageSessions, SESSION_COOKIE, SIGNIN_COOKIE, cookiesOf, randomToken, sameToken, secureCookies, setCookie, type PageSession } from './sessions.ts';

export interface ApprovalPageDeps {
  readonly book: ApprovalBook;
  readonly identity: Identity;
  readonly sessions: PageSessions;
  readonly pageUrl: () => string;
  readonly log: Logger;
  /** OIDC sign-in (provider entra or oidc with `approvals.signin`). */
  readonly oidc?: OidcSignIn;
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function sendHtml(res: Response, status: number, html: string): void {
  res.status(status).set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' }).send(html);
}

/** A browser asking for a page, not an API client with a bearer token. */
function wantsPage(req: Request): boolean {
  return req.headers.authorization === undefined && req.accepts(['json', 'html']) === 'html';
}

/** The page router; mount it before the JSON API. */
export function approvalPages(deps: ApprovalPageDeps): Router {
  const { book, sessions } = deps;
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const secure = () => secureCookies(deps.pageUrl());

  const signIn = (res: Response, status = 200, error?: string) => {
    if (deps.identity.provider !== 'dev' && deps.oidc !== undefined) return res.redirect(303, '/approvals/sign-in');
    if (deps.identity.provider !== 'dev') {
      return sendHtml(res, 501, layout('Sign in', '<h1>Sign in</h1><p>Signing in to this page with OIDC is not available in this build. Use the JSON API with a bearer token: <code>GET /approvals</code>, <code>POST /approvals/{id}/approve</code>.</p>'));
    }
    const csrf = randomToken();
    setCookie(res, SIGNIN_COOKIE, csrf, { secure: secure(), maxAgeSeconds: 600 });
    sendHtml(res, status, layout('Sign in', devSignInPage(csrf, error)));
  };

  /** The session, or a redirect to sign-in (undefined: answered). */
  const sessionOr = async (req: Request, res: Response): Promise<PageSession | undefined> => {
    const s = await sessions.of(req);
    // With OIDC, remember where the person was going (only page paths; see safeReturnPath).
    if (s === undefined) res.redirect(303, deps.oidc !== undefined && req.method === 'GET' ? `/approvals/sign-in?next=${encodeURIComponent(req.path)}` : '/approvals/sign-in');
    return s;
  };

  const wrap = (fn: (req: Request, res: Response, next: NextFunction) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    fn(req, res, next).catch((err: unknown) => {
      const e = asRegateError(err);
      deps.log.error({ err, code: e.code }, 'approval page failed');
      sendHtml(res, e.status, layout('Error', `<h1>Something went wrong</h1><p>${escapeHtml(`${e.code}: ${e.message}`)}</p>`));
    });

  r.get(
    '/approvals/sign-in',
    wrap(async (req, res) => {
      if (deps.oidc === undefined) return signIn(res);
      const { state, url } = await deps.oidc.start(req.query.next);
      setCookie(res, OIDC_STATE_COOKIE, state, { secure: secure(), maxAgeSeconds: SIGNIN_TTL_MS / 1000, sameSite: 'Lax' });
      res.redirect(303, url.href);
    }),
  );

  r.get(
    '/approvals/callback',
    wrap(async (req, res) => {
      if (deps.oidc === undefined) return sendHtml(res, 404, layout('Not found', '<h1>Not found</h1>'));
      const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      setCookie(res, OIDC_STATE_COOKIE, '', { secure: secure(), maxAgeSeconds: 0, sameSite: 'Lax' });
      let done;
      try {
        done = await deps.oidc.finish(query, cookiesOf(req).get(OIDC_STATE_COOKIE));
      } catch (err) {
        const e = asRegateError(err);
        deps.log.warn({ err, code: e.code }, 'approval page: sign-in failed');
        return sendHtml(res, e.status, layout('Sign-in failed', signInFailedPage(e.code, e.message)));
      }
      const who = done.principal;
      const { cookie, session } = await sessions.create({ id: who.id, name: who.name, groups: who.groups }, who.expires_at * 1000);
      setCookie(res, SESSION_COOKIE, cookie, { secure: secure(), maxAgeSeconds: (session.expires_at - Date.now()) / 1000 });
      deps.log.info({ principal_id: who.id }, 'approval page: signed in (oidc)');
      sendHtml(res, 200, continuePage(done.next));
    }),
  );

  r.get('/approvals/signed-out', (_req, res) => sendHtml(res, 200, layout('Signed out', signedOutPage())));

  r.post(
    '/approvals/sign-in',
    form,
    wrap(async (req, res) => {
      if (deps.identity.provider !== 'dev') return signIn(res);
      const body = req.body as { csrf?: string; token?: string };
      if (!sameToken(body.csrf, cookiesOf(req).get(SIGNIN_COOKIE))) return signIn(res, 403, new RegateError('REGATE_ERR_APPROVAL_CSRF').message);
      let who;
      try {
        who = await deps.identity.authenticate({ authorization: `Bearer ${String(body.token ?? '').trim()}` }, '/approvals/sign-in');
      } catch (err) {
        return signIn(res, 401, `That token was refused: ${asRegateError(err).message}`);
      }
      const { cookie, session } = await sessions.create({ id: who.id, name: who.name, groups: who.groups }, who.expires_at * 1000);
      setCookie(res, SESSION_COOKIE, cookie, { secure: secure(), maxAgeSeconds: (session.expires_at - Date.now()) / 1000 });
      setCookie(res, SIGNIN_COOKIE, '', { secure: secure(), maxAgeSeconds: 0 });
      deps.log.info({ principal_id: who.id }, 'approval page: signed in');
      res.redirect(303, '/approvals');
    }),
  );

  r.post(
    '/approvals/sign-out',
    form,
    wrap(async (req, res) => {
      const s = await sessions.of(req);
      if (s !== undefined && sameToken((req.body as { csrf?: string }).csrf, s.csrf)) await sessions.end(req);
      setCookie(res, SESSION_COOKIE, '', { secure: secure(), maxAgeSeconds: 0 });
      res.redirect(303, deps.oidc !== undefined ? '/approvals/signed-out' : '/approvals/sign-in');
    }),
  );

  r.get(
    '/approvals',
    wrap(async (req, res, next) => {
      if (!wantsPage(req)) return next();
      const s = await sessionOr(req, res);
      if (s === undefined) return;
      const items = await decidableBy(book, voterOf(s), deps.pageUrl());
      sendHtml(res, 200, layout('Pending approvals', listPage(items, Date.now()), { name: s.name, csrf: s.csrf }));
    }),
  );

  r.get(
    '/approvals/:id',
    wrap(async (req, res, next) => {
      if (!wantsPage(req)) return next();
      const s = await sessionOr(req, res);
      if (s === undefined) return;
      const a = await book.get(String(req.params.id));
      if (a === undefined || !maySee(a, voterOf(s))) return sendHtml(res, 404, layout('Not found', '<h1>No such approval request</h1><p><a href="/approvals">All pending approvals</a></p>', { name: s.name, csrf: s.csrf }));
      sendHtml(res, 200, layout(a.tool, detailPage(approvalView(a, voterOf(s), deps.pageUrl()), Date.now(), s.csrf), { name: s.name, csrf: s.csrf }));
    }),
  );

  r.post(
    '/approvals/:id/decide',
    form,
    wrap(async (req, res) => {
      const s = await sessionOr(req, res);
      if (s === undefined) return;
      const body = req.body as { csrf?: string; decision?: string; comment?: string };
      if (!sameToken(body.csrf, s.csrf)) return sendHtml(res, 403, layout('Refused', `<h1>Refused</h1><p>${new RegateError('REGATE_ERR_APPROVAL_CSRF').message}</p>`));
      if (body.decision !== 'approve' && body.decision !== 'deny') return sendHtml(res, 400, layout('Refused', '<h1>Choose approve or deny</h1>'));
      const comment = trimComment(body.comment === undefined ? undefined : String(body.comment));
      const done = await book.vote(String(req.params.id), voterOf(s), body.decision, comment);
      const a = done.ok ? done.record : await book.get(String(req.params.id));
      if (a === undefined) return sendHtml(res, 404, layout('Not found', '<h1>No such approval request</h1>', { name: s.name, csrf: s.csrf }));
      const flash = done.ok ? `You ${body.decision === 'approve' ? 'approved' : 'denied'} this request.` : done.error.message;
      sendHtml(res, done.ok ? 200 : done.error.status, layout(a.tool, detailPage(approvalView(a, voterOf(s), deps.pageUrl()), Date.now(), s.csrf, flash), { name: s.name, csrf: s.csrf }));
    }),
  );

  return r;
}
