import type { IncomingMessage } from 'node:http';
import { RegateError } from '../errors.ts';
import { parseJsonRpcBody, type ParsedBody } from '../mcp/jsonrpc.ts';
import { capText } from '../text/cap.ts';
import { headerValue } from './headers.ts';
import { mediaType } from './media-type.ts';

/**
 * Reads a client's JSON body as text, refusing anything that is not JSON or is larger than
 * `limit` (checked against Content-Length first, then while streaming, so a lying header does not
 * help). The rest of a refused body is discarded so the connection stays usable.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<string> {
  // The media type exactly (parameters such as charset allowed): application/json-seq is not JSON.
  const type = mediaType(headerValue(req.headers, 'content-type'));
  if (type !== 'application/json') {
    req.resume();
    throw new RegateError('REGATE_ERR_UNSUPPORTED_MEDIA_TYPE', `got "${capText(type) || 'none'}"`);
  }
  const declared = Number(headerValue(req.headers, 'content-length') ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new RegateError('REGATE_ERR_BODY_TOO_LARGE', `${declared} bytes, limit ${limit}`);
  }
  return readAll(req, limit, () => new RegateError('REGATE_ERR_BODY_TOO_LARGE', `more than ${limit} bytes, limit ${limit}`), true).then((b) =>
    b.toString('utf8'),
  );
}

/**
 * Reads a whole message body, refusing more than `limit` bytes with `tooLarge()`. With `drain`, the
 * rest of a refused body is read and discarded (a client request, so its connection stays usable);
 * otherwise the stream is destroyed (an upstream response). Plain events rather than an async
 * iterator: this runs twice per call.
 */
export function readAll(stream: IncomingMessage, limit: number, tooLarge: () => RegateError, drain: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed || stream.readableEnded) {
      reject(Object.assign(new Error('body already consumed or aborted'), { code: 'ECONNRESET' }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        if (drain) stream.resume();
        else stream.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // 'close' without 'end': the peer went away mid-body.
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** A client's body as JSON-RPC: read within the body limits, then parsed within depth and batch limits. */
export async function readJsonRpcBody(
  req: IncomingMessage,
  limits: { readonly max_body_bytes: number; readonly max_json_depth: number; readonly max_batch_messages: number },
): Promise<ParsedBody> {
  const text = await readJsonBody(req, limits.max_body_bytes);
  return parseJsonRpcBody(text, { maxDepth: limits.max_json_depth, maxBatch: limits.max_batch_messages });
}
