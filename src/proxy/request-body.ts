import type { IncomingMessage } from 'node:http';
import { RegateError } from '../errors.ts';
import { headerValue } from './headers.ts';

/**
 * Reads a client's JSON body as text, refusing anything that is not JSON or is larger than
 * `limit` (checked against Content-Length first, then while streaming, so a lying header does not
 * help). The rest of a refused body is discarded so the connection stays usable.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<string> {
  const type = (headerValue(req.headers, 'content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/json')) {
    req.resume();
    throw new RegateError('REGATE_ERR_UNSUPPORTED_MEDIA_TYPE', `got "${type || 'none'}"`);
  }
  const declared = Number(headerValue(req.headers, 'content-length') ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new RegateError('REGATE_ERR_BODY_TOO_LARGE', `${declared} bytes, limit ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new RegateError('REGATE_ERR_BODY_TOO_LARGE', `more than ${limit} bytes, limit ${limit}`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
