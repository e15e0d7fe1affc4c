/**
 * Ports for test peers. A free port is found by letting the OS pick one and releasing it; another
 * process can grab it before the peer binds, so peers that take a port number retry on a clash.
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP port that was free on `host` a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves when a TCP connection to host:port succeeds once. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Polls `probe` every `intervalMs` until it returns true; rejects after `timeoutMs`, or at once
 * when `abort` returns a reason (e.g. the child process already exited).
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 50, abort }: { timeoutMs?: number; intervalMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves once host:port accepts TCP connections (see waitUntil for the options). */
export function waitForPort(
  port: number,
  host = '127.0.0.1',
  options: { timeoutMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  return waitUntil(`port ${host}:${port}`, () => canConnect(port, host), options);
}
