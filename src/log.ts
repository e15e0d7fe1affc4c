import pino, { type Logger } from 'pino';

/**
 * The process logger: JSON lines (pino). Paths that could carry credentials are censored,
 * whatever component logs them.
 *
 * Without an explicit destination, lines go to stdout through an asynchronous buffer: one line per
 * decision would otherwise cost one write syscall per MCP call on the hot path. The buffer is
 * flushed every 250 ms and when the process stops (`flush`), so operators see lines promptly.
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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger & { flush(): void } {
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
    flush: () => {
      const d = dest as { flushSync?: () => void };
      try {
        d.flushSync?.();
      } catch {
        // stdout closed: nothing left to tell anyone
      }
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
  const dest = pino.destination({ dest: 1, sync: false, minLength: 8 * 1024 });
  const timer = setInterval(() => dest.flush(), 250);
  timer.unref();
  process.once('exit', () => {
    try {
      dest.flushSync();
    } catch {
      // stdout closed
    }
  });
  return dest;
}

export type { Logger };
