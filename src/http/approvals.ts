/**
 * Assembles approvals from the `approvals` section: the book over the shared store, the stage that
 * holds calls, and the approvers' routes. Only the composition (src/compose.ts) calls this.
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { PolicyStage } from '../enforcement/policy-stage.ts';
import { approvalsRoutes } from './approvals-routes.ts';
import { approvalPages } from './approval-pages/routes.ts';
import { PageSessions } from './approval-pages/sessions.ts';
import { OidcSignIn } from './approval-pages/oidc-signin.ts';
import { signInAuth } from './approval-pages/signin-principal.ts';
import type { FetchLike } from '../identity/http.ts';
import { RegateError } from '../errors.ts';
import type { Identity } from '../identity/create.ts';
import type { Stage } from '../pipeline/stage.ts';
import type { Store } from '../store/store.ts';
import { ApprovalBook } from '../approvals/book.ts';
import type { ApprovalsConfig } from '../approvals/config.ts';
import { createApprovalStage, type ApprovalStageOptions } from '../approvals/stage.ts';
import { approvalMetrics } from '../approvals/metrics.ts';
import { Notifier } from '../approvals/notify/notifier.ts';
import type { Metrics } from './metrics.ts';

export interface Approvals {
  readonly book: ApprovalBook;
  readonly stage: Stage;
  readonly routes: RequestHandler;
  /** Tells approvals where regate listens, when neither page_url nor public_url says so. */
  listeningAt(baseUrl: string): void;
}

/** Approvals for a gateway; `policy` re-checks approved calls. */
export function createApprovals(config: Config, section: ApprovalsConfig, deps: { store: Store; log: Logger; policy: PolicyStage; identity: Identity; metrics: Metrics; maskArguments: NonNullable<ApprovalStageOptions['maskArguments']>; fetch?: FetchLike }): Approvals {
  const log = deps.log.child({ component: 'approvals' });
  let base = config.public_url ?? `http://${config.listen.host}:${config.listen.port}`;
  const pageUrl = () => section.page_url ?? `${base.replace(/\/+$/, '')}/approvals`;
  const metrics = approvalMetrics(deps.metrics.registry);
  const book = new ApprovalBook({ store: deps.store, log, onChange: (r) => metrics.transition(r.status) });
  const linkFor = (id: string) => `${pageUrl().replace(/\/+$/, '')}/${id}`;
  const notifier = new Notifier({ targets: section.notify, log, linkFor, onResult: (type, ok) => metrics.notification(type, ok) });
  const stage = createApprovalStage({
    book,
    config: section,
    pageUrl,
    redecide: (call, a) => deps.policy.redecide(call, a),
    log,
    onRequested: (r) => notifier.requested(r),
    onHeld: (d) => metrics.held(d),
    maskArguments: deps.maskArguments,
  });
  const oidc = signInFor(config, section, deps, () => section.signin?.redirect_url ?? `${base.replace(/\/+$/, '')}/approvals/callback`);
  const page = approvalPages({ book, identity: deps.identity, sessions: new PageSessions(deps.store), pageUrl, log, ...(oidc ? { oidc } : {}) });
  const routes = approvalsRoutes({ book, identity: deps.identity, pageUrl, log, page });
  return {
    book,
    stage,
    routes,
    listeningAt(url) {
      if (config.public_url === undefined) base = url;
    },
  };
}

/** The page's OIDC sign-in when `approvals.signin` is set; refused with dev auth (it has its own form). */
function signInFor(config: Config, section: ApprovalsConfig, deps: { store: Store; fetch?: FetchLike }, redirectUrl: () => string): OidcSignIn | undefined {
  if (section.signin === undefined || config.auth === undefined) return undefined;
  const auth = signInAuth(config.auth);
  if (auth === undefined) throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'approvals.signin needs auth.provider entra or oidc (dev auth has its own sign-in form)');
  return new OidcSignIn({ auth, signin: section.signin, redirectUrl, store: deps.store, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
}
