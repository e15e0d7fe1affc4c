import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { RegateError } from '../errors.ts';
import { sendRpcError } from '../proxy/respond.ts';

/**
 * Bounds how long a request body may hold a socket. The server runs without Node's request
 * timeout (SSE streams and long tool calls must live), so a client that sends its body one byte
 * at a time would otherwise keep a socket forever, token or not.
 *
 * - A request answered before its body arrived (a 401, a 404, a 405, a 503) does not wait for it:
 *   once the answer is sent the connection is closed, after a short grace (1 s, 256 KB) in which
 *   what the client still sends is read and discarded (closing on unread data resets the
 *   connection, and the client could lose the answer).
 * - A body still arriving `body_timeout_seconds` after the headers, or arriving slower than
 *   `min_body_bytes_per_second` over the last few seconds, is answered 408 REGATE_ERR_BODY_TIMEOUT
 *   and the connection closed. The rate is not checked while regate itself has not read what
 *   arrived (authentication still running): then the slow side is regate, not the client.
 *
 * One sweep timer for all requests (not one per request), running only while bodies are open.
 */
export interface BodyGuard {
  /** Watches one request until its body is complete or its response has closed. */
  watch(req: IncomingMessage, res: ServerResponse): void;
  /** Stops the sweep timer. */
  close(): void;
}

export interface BodyGuardLimits {
  readonly body_timeout_seconds: number;
  readonly min_body_bytes_per_second: number;
}

/** How often open bodies are checked, and the window the rate is averaged over. */
const SWEEP_MS = 250;
/** Longest window the rate is averaged over (shorter when the body deadline is under twice this). */
const RATE_WINDOW_MS = 3000;
/** How long a connection whose request was answered early may still deliver body bytes before it is cut. */
const ABANDON_GRACE_MS = 1000;
/** ... and how much of it is read (and discarded) before it is cut sooner. */
const ABANDON_DRAIN_BYTES = 256 * 1024;

interface Watched {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly started: number;
  /** socket.bytesRead samples, one per sweep, oldest first, covering the rate window. */
  readonly samples: number[];
}

/** Creates the guard for one server. */
export function createBodyGuard(limits: BodyGuardLimits): BodyGuard {
  const open = new Set<Watched>();
  const deadlineMs = limits.body_timeout_seconds * 1000;
  // The rate must be judged before the deadline would end the body anyway.
  const windowMs = Math.min(RATE_WINDOW_MS, deadlineMs / 2);
  const perWindow = (limits.min_body_bytes_per_second * windowMs) / 1000;
  const windowSamples = Math.max(1, Math.ceil(windowMs / SWEEP_MS));
  let timer: NodeJS.Timeout | undefined;

  const sweep = () => {
    const now = Date.now();
    for (const w of open) {
      if (w.req.complete || w.res.headersSent) {
        open.delete(w);
        continue;
      }
      const read = w.req.socket.bytesRead;
      w.samples.push(read);
      if (w.samples.length > windowSamples + 1) w.samples.shift();
      const elapsed = now - w.started;
      let why: string | undefined;
      if (elapsed >= deadlineMs) why = `the body was not complete within ${limits.body_timeout_seconds}s`;
      else if (perWindow > 0 && w.samples.length > windowSamples && w.req.readableLength === 0 && read - w.samples[0]! < perWindow) {
        why = `the body arrived slower than ${limits.min_body_bytes_per_second} bytes per second`;
      }
      if (why !== undefined) {
        open.delete(w);
        sendRpcError(w.res, new RegateError('REGATE_ERR_BODY_TIMEOUT', why)); // the finish handler then closes the connection
      }
    }
    if (open.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    watch(req, res) {
      res.once('finish', () => {
        if (!req.complete) abandon(req.socket);
      });
      if (req.complete) return;
      const w: Watched = { req, res, started: Date.now(), samples: [] };
      open.add(w);
      res.once('close', () => open.delete(w));
      if (timer === undefined) {
        timer = setInterval(sweep, SWEEP_MS);
        timer.unref();
      }
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      open.clear();
    },
  };
}

/**
 * Ends a connection whose request body will not be read: the answer is out, so FIN now; what the
 * client still sends is discarded for a short grace, at most ABANDON_DRAIN_BYTES, then the socket
 * is cut.
 */
function abandon(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  const start = socket.bytesRead;
  const until = Date.now() + ABANDON_GRACE_MS;
  const check = setInterval(() => {
    if (socket.destroyed || Date.now() >= until || socket.bytesRead - start > ABANDON_DRAIN_BYTES) {
      clearInterval(check);
      socket.destroy();
    }
  }, 100);
  check.unref();
}
