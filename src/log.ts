import pino, { type Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout (pino). Paths that could carry credentials are
 * censored, whatever component logs them.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'regate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization', 'token'],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}

export type { Logger };
