/**
 * How ioredis opens a connection to one Redis (its standalone connector: TCP, or TLS when `tls`
 * is set), plus an 'error' listener that lives as long as the socket.
 *
 * Why: ioredis listens for a socket's errors with `once`, so a socket that reports two errors
 * crashes the process with the second (redis/ioredis#961, never merged). A TLS socket does: when
 * the connection is closed (regate stopping, ioredis reconnecting) during a TLS handshake, the
 * server answers the early end with an alert, and the client reports first its own handshake
 * failure (e.g. an untrusted certificate) and then that alert ("tlsv1 alert decode error").
 * ioredis has already reported the first error and the close, so later ones are only passed on.
 */
import { createConnection } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { AbstractConnector, type StandaloneConnectionOptions } from 'ioredis';

type NetStream = ReturnType<typeof createConnection> | ReturnType<typeof tlsConnect>;

/** Same words as ioredis, which reports a connect cancelled by disconnect() this way. */
const CONNECTION_CLOSED = 'Connection is closed.';

/** ioredis's default disconnectTimeout: how long a socket may take to close before it is destroyed. */
const DEFAULT_DISCONNECT_TIMEOUT_MS = 2000;

/** A connector class for ioredis's `Connector` option; `onLateError` gets every error of a socket after its first. */
export function connectorReportingLateErrors(onLateError: (err: Error) => void): new (options: unknown) => AbstractConnector {
  return class LateErrorSafeConnector extends AbstractConnector {
    readonly #options: StandaloneConnectionOptions;

    /** ioredis passes its whole options object, defaults filled in (its `Connector` type says only `unknown`). */
    constructor(options: unknown) {
      const o = options as StandaloneConnectionOptions;
      super(o.disconnectTimeout ?? DEFAULT_DISCONNECT_TIMEOUT_MS);
      this.#options = o;
    }

    connect(): Promise<NetStream> {
      this.connecting = true;
      // ioredis fills host and port in (these are its defaults); RedisStore always gives both.
      const { host = 'localhost', port = 6379, tls } = this.#options;
      const address = { host, port };
      // Opened on the next tick, as ioredis does, so a disconnect() right after connect() opens nothing.
      return new Promise((resolve, reject) => {
        process.nextTick(() => {
          if (!this.connecting) return reject(new Error(CONNECTION_CLOSED));
          let stream: NetStream;
          try {
            stream = tls !== undefined ? tlsConnect({ ...address, ...tls }) : createConnection(address);
          } catch (err) {
            return reject(err);
          }
          this.stream = stream;
          let errors = 0;
          stream.on('error', (err: Error) => {
            // ioredis reads the first error from here when the socket is already destroyed on arrival.
            if (++errors === 1) this.firstError = err;
            else onLateError(err);
          });
          resolve(stream);
        });
      });
    }
  };
}
