import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';

const main = join(import.meta.dirname, '../../../src/main.ts');

interface LogLine {
  msg?: string;
  worker?: number | string;
  worker_id?: number;
  pid?: number;
  method?: string;
  tool?: string;
}

/**
 * fetch over a new TCP connection per request. The cluster spreads connections, not requests, over
 * its workers: with pooled keep-alive connections every call could land on one worker.
 */
async function freshConnectionFetch(url: string | URL, init?: RequestInit): Promise<Response> {
  const headers = Object.fromEntries(new Headers(init?.headers).entries());
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init?.method ?? 'GET', agent: false, headers });
    init?.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
    req.on('response', (res) => {
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) for (const one of [v ?? []].flat()) out.append(k, one);
      const status = res.statusCode ?? 0;
      const empty = status === 204 || status === 304;
      if (empty) res.resume();
      resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream), { status, headers: out }));
    });
    req.on('error', reject);
    req.end(typeof init?.body === 'string' ? init.body : undefined);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('regate serve --workers 2', function () {
  this.timeout(60_000);
  // The workers share session owners, call counts and limits through Redis.
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('refuses to start without redis: a session would be unknown on the workers that did not start it', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, REGATE_LISTEN_PORT: '0' };
    delete env.REGATE_REDIS_URL;
    const child = spawn(process.execPath, [main, 'serve', '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let all = '';
    child.stdout.on('data', (d: Buffer) => (all += d.toString()));
    child.stderr.on('data', (d: Buffer) => (all += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    assert.notEqual(code, 0);
    assert.match(all, /redis: required with --workers above 1/);
  });

  it('serves one session from both workers, restarts a killed worker, prints start-up output once and drains on SIGTERM', async () => {
    const child = spawn(process.execPath, [main, 'serve', '--workers', '2'], {
      env: { ...process.env, REGATE_LISTEN_PORT: '0', REGATE_LOG_LEVEL: 'info', REGATE_REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const lines = (): LogLine[] =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
    const waitFor = async <T>(what: string, f: () => T | undefined, ms = 25_000): Promise<T> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = f();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const workerPids = () => lines().filter((l) => l.msg === 'worker listening' && l.worker === 'primary');
    const servedBy = () => new Set(lines().filter((l) => l.msg === 'decision' && l.method === 'tools/call').map((l) => l.worker));

    try {
      await waitFor('the primary to say it listens', () => lines().find((l) => l.msg === 'regate listening'));
      const url = await waitFor('the banner', () => /MCP endpoint \(Streamable HTTP\): (\S+)/.exec(out)?.[1]);
      const token = await waitFor('a dev token', () => /export TOKEN=(\S+)/.exec(out)?.[1]);
      assert.equal(out.match(/MCP endpoint/g)?.length, 1, 'the banner is printed once, by the primary');
      assert.equal(lines().filter((l) => l.msg === 'regate listening').length, 1, 'one "regate listening" line');
      const [first, second] = workerPids();
      assert.ok(first?.pid && second?.pid && first.pid !== second.pid && first.pid !== child.pid, 'two worker processes');

      // One MCP session; each request on a new connection, so the round-robin alternates workers.
      const client = new Client({ name: 'workers-test', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
        fetch: freshConnectionFetch,
      });
      await client.connect(transport);
      for (const id of ['cus_001', 'cus_002', 'cus_003', 'cus_004']) {
        const r = await client.callTool({ name: 'get_customer', arguments: { id } });
        assert.notEqual(r.isError, true, JSON.stringify(r));
        assert.equal((r.structuredContent as { customer?: { id?: string } }).customer?.id, id);
      }
      // The decision log line is written by the worker that decided (and forwarded) the call.
      await waitFor('decision lines of both workers', () => (servedBy().size === 2 ? true : undefined), 5_000);
      assert.deepEqual([...servedBy()].sort(), [first.worker_id, second.worker_id].sort());

      // A worker that dies is replaced; the new one serves the same session.
      process.kill(first.pid, 'SIGKILL');
      await waitFor('the replacement worker', () => (workerPids().length === 3 ? true : undefined));
      const replacement = workerPids()[2]!;
      assert.ok(lines().some((l) => l.msg === 'worker stopped unexpectedly' && l.worker_id === first.worker_id));
      for (let i = 0; i < 6 && !servedBy().has(replacement.worker_id); i++) {
        const r = await client.callTool({ name: 'get_customer', arguments: { id: 'cus_005' } });
        assert.notEqual(r.isError, true, JSON.stringify(r));
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(servedBy().has(replacement.worker_id), `worker ${replacement.worker_id} served a call`);
      await client.close();

      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      assert.equal(alive(second.pid!) || alive(replacement.pid!), false, 'no worker outlives the primary');
      assert.ok(lines().filter((l) => l.msg === 'stopped').length >= 3, 'both workers and the primary drained and stopped');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
