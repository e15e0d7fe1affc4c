/**
 * HTTP on a bare socket, for what fetch() will not send or will not show: duplicated headers, a
 * body sent one byte at a time, whether the server closed the connection.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawConnection {
  readonly socket: net.Socket;
  /** Resolves with the first complete response (Content-Length framed) on the connection. */
  readonly response: Promise<RawResponse>;
  /** Resolves when the server ends or resets the connection. */
  readonly closed: Promise<void>;
  /** Writes the text; resolves false when the connection is gone. */
  write(text: string): Promise<boolean>;
}

/** Opens a connection to `base` (http://host:port) and sends `head` (request line and headers, CRLF-separated, ending in a blank line). */
export function rawConnect(base: string, head: string): RawConnection {
  const { hostname, port } = new URL(base);
  const socket = net.connect({ host: hostname, port: Number(port) });
  let received = Buffer.alloc(0);
  let settle: ((r: RawResponse) => void) | undefined;
  let fail: ((e: Error) => void) | undefined;
  const response = new Promise<RawResponse>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const tryParse = () => {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = received.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    const length = Number(headers['content-length'] ?? 0);
    if (received.length - end - 4 < length) return;
    settle?.({ status, headers, body: received.subarray(end + 4, end + 4 + length).toString('utf8') });
    settle = undefined;
  };
  socket.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    if (settle) tryParse();
  });
  socket.on('error', () => {});
  socket.once('close', () => fail?.(new Error(`connection closed before a complete response: ${received.toString('latin1').slice(0, 200)}`)));
  socket.write(head);
  return {
    socket,
    response,
    closed,
    write: (text) =>
      new Promise((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve(false);
        socket.write(text, (err) => resolve(err == null));
      }),
  };
}

/** Sends one whole request and resolves with its response. */
export async function rawRequest(base: string, request: string): Promise<RawResponse> {
  const c = rawConnect(base, request);
  try {
    return await c.response;
  } finally {
    c.socket.destroy();
  }
}
