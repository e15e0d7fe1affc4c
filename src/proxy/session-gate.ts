/**
 * What every MCP request passes before anything of it goes upstream (after authentication): its
 * `Mcp-Session-Id` must name a session this principal initialized through regate, and the
 * principal and the connection must have a slot left (see limits.ts). Also wraps a connection's
 * forwarder so that the session an `initialize` answer issues is bound to its principal before
 * the client can learn the id, and a session its owner ends is forgotten.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RegateError, asRegateError } from '../errors.ts';
import type { ExchangeFacts } from '../pipeline/call-record.ts';
import { answersForms } from '../mcp/elicitation.ts';
import { headerValue } from './headers.ts';
import { Limits, RETRY_AFTER_SECONDS, type SlotKind } from './limits.ts';
import { sendRpcError } from './respond.ts';
import type { SessionBindings } from './session-binding.ts';
import type { Upstream } from './upstream.ts';

export interface SessionGateDeps {
  readonly bindings: SessionBindings;
  readonly limits: Limits;
  /** A session began (bound to its principal) or ended (DELETE accepted): the pipeline records it. */
  readonly onSession?: (phase: 'start' | 'end', facts: ExchangeFacts, sessionId: string) => void;
}

/** The principal's key in bindings and limits ('' for a gateway without authentication: tests only). */
const principalOf = (facts: ExchangeFacts): string => facts.principal?.id ?? '';

/**
 * Admits one request, or answers it (404 for a session that is not the caller's, 429 for a
 * limit, 503 when the store cannot tell) and resolves false. `bindSession`: the route carries
 * Streamable HTTP session ids (legacy SSE sessions are bound by their own table). An admitted
 * request holds its slot until its response closes. `slot: false` admits without a slot (the
 * caller takes one with `takeSlot` once it knows the request needs one).
 */
export async function admitRequest(
  deps: SessionGateDeps,
  req: IncomingMessage,
  res: ServerResponse,
  facts: ExchangeFacts,
  kind: SlotKind,
  bindSession: boolean,
  slot = true,
): Promise<boolean> {
  const principal = principalOf(facts);
  try {
    if (bindSession && facts.sessionId !== undefined) {
      const owner = await deps.bindings.check(principal, facts.connection.name, facts.sessionId);
      // The same answer for an id nobody was issued and for another principal's: no oracle.
      if (owner === 'unknown') return refuse(req, res, new RegateError('REGATE_ERR_UNKNOWN_SESSION'));
      facts.answersForms = owner === 'owner_answers_forms';
    } else if (bindSession && req.method === 'POST' && deps.bindings.recentlyFull(principal)) {
      // Just refused a session: a stateless call waits a second too, rather than the upstream
      // making sessions only to have them ended.
      return refuse(req, res, deps.limits.refused('REGATE_ERR_LIMIT_PRINCIPAL_SESSIONS', principal));
    }
    return slot ? await takeSlot(deps, req, res, facts, kind) : true;
  } catch (err) {
    return refuse(req, res, asRegateError(err));
  }
}

/** Takes the request's slot (held until its response closes), or answers 429/503 and resolves false. */
export async function takeSlot(deps: SessionGateDeps, req: IncomingMessage, res: ServerResponse, facts: ExchangeFacts, kind: SlotKind): Promise<boolean> {
  try {
    const release = await deps.limits.take(kind, principalOf(facts), facts.connection.name);
    res.once('close', release);
    return true;
  } catch (err) {
    return refuse(req, res, asRegateError(err));
  }
}

function refuse(req: IncomingMessage, res: ServerResponse, err: RegateError): false {
  req.resume();
  sendRpcError(res, err, err.status === 429 ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } : {});
  return false;
}

/**
 * The connection's forwarder for one Streamable HTTP exchange: a new session in the answer to a
 * request without one is bound to the caller before the answer goes on (refused with 429 and
 * ended upstream when the caller owns too many); a successful DELETE forgets the binding.
 */
export function sessionAwareUpstream(deps: SessionGateDeps, inner: Upstream, facts: ExchangeFacts, log: () => Logger): Upstream {
  const principal = principalOf(facts);
  const connection = facts.connection.name;
  return {
    send: (method, target, headers, body) => inner.send(method, target, headers, body),
    close: () => inner.close(),
    forward(req, res, job) {
      inner.forward(req, res, {
        ...job,
        onResponse: (up) => {
          const status = up.statusCode ?? 502;
          const issued = headerValue(up.headers, 'mcp-session-id');
          if (req.method === 'POST' && facts.sessionId === undefined && issued !== undefined && status < 400) {
            deps.bindings.bind(principal, connection, issued, answersForms(facts.client?.capabilities)).then(
              (bound) => {
                if (bound) {
                  deps.onSession?.('start', facts, issued);
                  return job.onResponse(up);
                }
                up.resume();
                res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
                job.onError(deps.limits.refused('REGATE_ERR_LIMIT_PRINCIPAL_SESSIONS', principal));
                // The upstream made a session nobody will use: end it there too.
                const headers: Record<string, string> = { ...job.headers, 'mcp-session-id': issued };
                delete headers['content-type'];
                inner.send('DELETE', job.target, headers, Buffer.alloc(0)).catch((err: unknown) => log().warn({ err }, 'could not end a refused session upstream'));
              },
              (err: unknown) => {
                up.resume();
                job.onError(asRegateError(err));
              },
            );
            return;
          }
          // A DELETE the upstream accepted ends the session; so does a 404 to any request in it
          // (the upstream no longer knows the session: its client must start a new one), so a
          // session the upstream forgot stops counting against the principal's max_sessions.
          if (facts.sessionId !== undefined && ((req.method === 'DELETE' && status < 300) || status === 404)) {
            const sid = facts.sessionId;
            deps.onSession?.('end', facts, sid);
            deps.bindings.end(principal, connection, sid).then(
              () => job.onResponse(up),
              (err: unknown) => {
                // The upstream ended the session; the binding expires with its TTL.
                log().warn({ err, session: deps.bindings.ref(sid) }, 'could not forget an ended session');
                job.onResponse(up);
              },
            );
            return;
          }
          job.onResponse(up);
        },
      });
    },
  };
}
