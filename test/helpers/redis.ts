/**
 * A real redis-server for integration tests: each call starts its own on a free port with no
 * persistence, so tests never share state with each other or with a developer's Redis.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, waitUntil } from './ports.ts';
import { spawnPeer } from './peers.ts';

export interface RedisServer {
  /** e.g. redis://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
  /**
   * Stops the server, runs `whileDown` (e.g. checks that clients fail fast), then starts a fresh
   * server (empty) on the same port and resolves once it answers PING.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/** Fails with the fix in the message when redis-server is not installed. */
function redisServerPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('redis-server is not on PATH: run scripts/ensure-tools.sh (it installs the Debian package)');
  }
}

/**
 * Sends one inline PING and resolves true on +PONG, or on -NOAUTH from a server started with
 * `--requirepass` (up, but wants a password); false while Redis is loading or not up.
 */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

/**
 * Starts redis-server on a free 127.0.0.1 port and resolves once it answers PING. `args` are added
 * to the command line (e.g. `--requirepass`, or `--tls-port` with its files: PING uses the plain port).
 */
export async function startRedis({ timeoutMs = 10_000, args: extraArgs = [] as readonly string[] } = {}): Promise<RedisServer> {
  const bin = redisServerPath();
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extraArgs];
    let peer = spawnPeer(bin, args);
    try {
      await waitUntil(`redis-server on port ${port}`, () => pingRedis(port), { timeoutMs, abort: peer.exited });
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => peer.stop(),
        async restart(whileDown) {
          await peer.stop();
          await whileDown?.();
          peer = spawnPeer(bin, args);
          const again = peer;
          await waitUntil(`redis-server restarting on port ${port}`, () => pingRedis(port), { timeoutMs, abort: () => again.exited() && `${again.exited()}\n${again.output()}` });
        },
      };
    } catch (err) {
      await peer.stop();
      lastError = new Error(`${(err as Error).message}\n${peer.output()}`);
      // Another process took the port between freePort() and the bind: try another one.
      if (!/address already in use/i.test(peer.output())) break;
    }
  }
  throw lastError;
}
