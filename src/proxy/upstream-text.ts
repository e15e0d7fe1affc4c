import type { Logger } from 'pino';
import type { ConnectionConfig } from '../config/schema.ts';
import { RegateError } from '../errors.ts';
import { capText } from '../text/cap.ts';
import { connectionSecrets } from '../config/connection-secrets.ts';

/**
 * What an upstream says outside MCP (an HTML error page, a stack trace, a proxy's text, a JSON
 * parser's quote of a broken body) is for operators, never for agents: it can carry internal host
 * names, file paths, or the gateway-held credential itself (an upstream that echoes its request).
 * The agent gets regate's words (status, stable code, reason); the upstream's text goes to the log
 * with the connection's configured header values blotted out and its length capped.
 */

/** Characters of upstream text kept in one log line. */
const LOGGED_TEXT = 1000;

/** Upstream text made fit for a log line: whitespace folded, secrets replaced, length capped. */
export function upstreamTextForLog(text: string, connection: ConnectionConfig): string {
  let out = text.replace(/\s+/g, ' ').trim();
  for (const secret of connectionSecrets(connection)) out = out.split(secret).join('[REDACTED]');
  return capText(out, LOGGED_TEXT);
}

/** The client's error for a non-MCP upstream answer with this status; the body goes to the log. */
export function upstreamStatusError(connection: ConnectionConfig, log: Logger, status: number, body: Buffer): RegateError {
  if (body.length > 0) log.warn({ status, upstream_text: upstreamTextForLog(body.toString('utf8'), connection) }, 'upstream answered outside MCP');
  return new RegateError('REGATE_ERR_UPSTREAM_STATUS', `${connection.name} answered HTTP ${status}`);
}

/** The client's error for an upstream body regate could not parse; the parser's words (which quote the body) go to the log. */
export function upstreamParseError(connection: ConnectionConfig, log: Logger, err: RegateError): RegateError {
  if (err.code === 'REGATE_ERR_UPSTREAM_TOO_LARGE') return err;
  log.warn({ code: err.code, upstream_text: upstreamTextForLog(err.detail ?? err.message, connection) }, 'upstream sent a body regate cannot parse');
  return new RegateError('REGATE_ERR_UPSTREAM_PROTOCOL', `${connection.name} sent a body that is not JSON-RPC`);
}
