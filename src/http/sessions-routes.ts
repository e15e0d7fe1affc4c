/**
 * `GET /sessions/{id}`: one recorded session's timeline as JSON, for principals the policy allows
 * to read sessions (`input.mcp.method == "sessions/read"`, no connection; the default policy lets
 * members of `groups.auditors` in and keeps agents out). The caller is authenticated like an
 * MCP client; the decision comes before anything is read.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { SessionTimeline } from '../audit/review/replay.ts';
import { RegateError } from '../errors.ts';
import type { Principal } from '../identity/principal.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { buildPolicyInput, type PolicyInput } from '../policy/input.ts';
import { sendJson, sendRpcError } from '../proxy/respond.ts';

export interface SessionsRouteDeps {
  /** The gateway's policy (PolicyManager.evaluate). */
  readonly decide: (input: PolicyInput) => PolicyDecision;
  /** Reads a session's timeline from the transcripts (src/audit/review/run.ts sessionReader). */
  readonly read: (sessionId: string) => Promise<SessionTimeline | undefined>;
}

/** The method policy sees for reading a recorded session. */
export const SESSIONS_READ_METHOD = 'sessions/read';

/** The policy input of a request to read session `sessionId`. */
export function sessionsReadInput(principal: Principal | undefined, sessionId: string, req: Pick<Request, 'method' | 'path' | 'headers'>, remoteAddr: string, now = new Date()): PolicyInput {
  return buildPolicyInput({
    principal,
    connection: { name: '', tags: [] },
    message: { jsonrpc: '2.0', id: 0, method: SESSIONS_READ_METHOD, params: { session_id: sessionId } },
    session: { id: undefined, calls: 0 },
    http: { method: req.method, path: req.path, remote_addr: remoteAddr, headers: req.headers },
    now,
  });
}

/** The router serving GET /sessions/:id behind `authenticate`. */
export function sessionsRoutes(deps: SessionsRouteDeps & { readonly authenticate: RequestHandler; readonly clientAddress: (req: Request) => string }): Router {
  const router = express.Router();
  router.get('/sessions/:id', deps.authenticate, async (req: Request, res: Response) => {
    res.locals.route = '/sessions';
    const id = String(req.params.id);
    const principal = res.locals.principal as Principal | undefined;
    // The address policy sees is the client's as the MCP routes resolve it (trusted proxies included).
    const decision = deps.decide(sessionsReadInput(principal, id, req, deps.clientAddress(req)));
    if (!decision.allow) {
      (res.locals.log as Logger | undefined)?.info({ rule: decision.rule, session_id: id, principal: principal?.id }, 'session read refused by policy');
      return sendJson(res, 403, { error: { code: 'REGATE_ERR_POLICY_DENIED', message: decision.reason, rule: decision.rule } });
    }
    try {
      const timeline = await deps.read(id);
      if (timeline === undefined) return sendJson(res, 404, { error: { code: 'REGATE_ERR_NOT_FOUND', message: `no recorded session ${id}` } });
      sendJson(res, 200, timeline, { 'cache-control': 'no-store' });
    } catch (err) {
      // What the source said (an endpoint, a file path) is for the log, not for the caller.
      (res.locals.log as Logger | undefined)?.error({ err }, 'recorded session could not be read');
      sendRpcError(res, new RegateError('REGATE_ERR_REVIEW_SOURCE'));
    }
  });
  return router;
}
