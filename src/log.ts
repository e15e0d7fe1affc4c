import pino, { type Logger } from 'pino';

/**
 * The process logger: JSON lines (pino). Paths that could carry credentials are censored,
 * whatever component logs them.
 *
 * Without an explicit destination, lines go to stdout through an asynchronous buffer: one line per
 * decision would otherwise cost one write syscall per MCP call on the hot path. The buffer is
 * flushed every 250 ms and when the process stops (`flush`), so operators see lines promptly.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger & { flush(): void } {
  const dest = destination ?? bufferedStdout();
  const logger = pino(
    {
      level,
      base: { service: 'regate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization', 'token'],
        censor: '[REDACTED]',
      },
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

function bufferedStdout(): pino.DestinationStream {
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
