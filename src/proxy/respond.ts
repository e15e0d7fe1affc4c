import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RegateError } from '../errors.ts';
import { errorResponseFor, type JSONRPCMessage, type RequestId } from '../mcp/jsonrpc.ts';

/** Sends a JSON body with an explicit length (no chunking, no compression). */
export function sendJson(res: ServerResponse, status: number, payload: unknown, extra: OutgoingHttpHeaders = {}): void {
  sendJsonText(res, status, JSON.stringify(payload), extra);
}

/**
 * Sends JSON text already serialized, in one write with its exact length: Node joins the head and
 * a string body into one socket write when both go out in `end`.
 */
export function sendJsonText(res: ServerResponse, status: number, body: string, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  res.writeHead(status, { ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Answers with regate's own replies plus the same JSON-RPC error for each forwarded request id (or
 * one error with id null when there is nothing else), mirroring a batch as an array.
 */
export function sendRpcError(
  res: ServerResponse,
  err: RegateError,
  opts: { ids?: readonly RequestId[]; local?: readonly JSONRPCMessage[]; batch?: boolean; status?: number; headers?: OutgoingHttpHeaders } = {},
): void {
  const replies = [...(opts.local ?? []), ...(opts.ids ?? []).map((id) => errorResponseFor(id, err))];
  const payload = replies.length === 0 ? errorResponseFor(null, err) : opts.batch ? replies : replies[0];
  sendJson(res, opts.status ?? err.status, payload, opts.headers);
}
