import pino, { type Logger } from 'pino';

/**
 * The process logger: JSON lines (pino). Paths that could carry credentials are censored,
 * whatever component logs them.
 *
 * Without an explicit destination, lines go to stdout through an asynchronous buffer: one line per
 * decision would otherwise cost one write syscall per MCP call on the hot path. The buffer is
 * flushed every 250 ms and when the process stops (`flush`, and on exit), so operators see lines
 * promptly and none is lost when the process exits.
 */
/** Redacted wherever they appear at these fixed paths (cheap: pino only visits these). */
const flatRedactPaths = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'token'];

/**
 * A child for records of a fixed, flat shape logged on every call (the decision log): the same
 * fixed-path redaction, without the `*.headers.authorization` wildcard, which makes pino's
 * redaction copy every top-level value of every record (about 10 us a line, more than writing the
 * line) and cannot match a record without nested objects anyway.
 */
export function flatRecordLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  return log.child(bindings, { redact: { paths: flatRedactPaths, censor: '[REDACTED]' } });
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger & { flush(cb?: (err?: Error) => void): void } {
  const dest = destination ?? bufferedStdout();
  const logger = pino(
    {
      level,
      base: { service: 'regate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...flatRedactPaths, '*.headers.authorization'], censor: '[REDACTED]' },
    },
    dest,
  );
  return Object.assign(logger, {
    // Synchronous, for every logger of the process (children inherit it); a callback, as pino's
    // own flush takes, is called when it is done.
    flush: (cb?: (err?: Error) => void) => {
      const d = dest as { flushSync?: () => void };
      try {
        d.flushSync?.();
      } catch {
        // stdout closed: nothing left to tell anyone
      }
      cb?.();
    },
  });
}

/** One buffered stdout per process: every logger shares it (and its one exit hook). */
let sharedStdout: pino.DestinationStream | undefined;

function bufferedStdout(): pino.DestinationStream {
  sharedStdout ??= openBufferedStdout();
  return sharedStdout;
}

function openBufferedStdout(): pino.DestinationStream {
  // The batcher hands sonic-boom the lines ~8 KB at a time, the size of the writes before, and
  // sonic-boom writes each chunk synchronously (as Node writes stdout to a pipe or file anyway):
  // one syscall per ~8 KB, and no write is ever left in flight when the process exits (an
  // asynchronous one then was lost: a worker's last lines, "stopped" among them). (32 KB saved
  // another ~0.25 us per line, but --workers share one stdout: the larger a write to a pipe, the
  // likelier the kernel splits it, and another worker's line could land inside one of these.)
  const lines = new LineBatcher(pino.destination({ dest: 1, sync: true, minLength: 0 }), 8 * 1024);
  const timer = setInterval(() => lines.flush(), 250);
  timer.unref();
  process.once('exit', () => {
    try {
      lines.flushSync();
    } catch {
      // stdout closed
    }
  });
  return lines;
}

/**
 * Log lines gathered in memory and handed to a sonic-boom stream in chunks of about `chunkChars`:
 * sonic-boom measures the UTF-8 length of its whole pending buffer on every write, which cost a
 * few microseconds per line (the decision log writes one per call) once kilobytes were waiting.
 * `flush` hands over what is gathered; `flushSync` also writes it out before returning (exit).
 */
export class LineBatcher implements pino.DestinationStream {
  readonly #dest: { write(chunk: string): boolean; flushSync(): void };
  readonly #chunkChars: number;
  #lines: string[] = [];
  #chars = 0;

  constructor(dest: { write(chunk: string): boolean; flushSync(): void }, chunkChars: number) {
    this.#dest = dest;
    this.#chunkChars = chunkChars;
  }

  write(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.#chunkChars) this.flush();
  }

  /** Hands over what is gathered; `cb` (pino's stream contract) is called once it is handed over. */
  flush(cb?: (err?: Error) => void): void {
    if (this.#lines.length > 0) {
      const chunk = this.#lines.join('');
      this.#lines = [];
      this.#chars = 0;
      this.#dest.write(chunk);
    }
    cb?.();
  }

  flushSync(): void {
    this.flush();
    this.#dest.flushSync();
  }
}

export type { Logger };
