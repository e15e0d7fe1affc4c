import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Audit } from '../../../src/audit/create.ts';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { RegateError } from '../../../src/errors.ts';
import { AzureFakes } from '../../helpers/azure-fakes.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { spawnPeer, type ChildPeer } from '../../helpers/peers.ts';
import { freePort, waitUntil } from '../../helpers/ports.ts';
import { pingRedis } from '../../helpers/redis.ts';
import { checkReceived, redisAudit } from './audit-setup.ts';

/** A redis-server that can be stopped and started again on the same port, with AOF (fsync always). */
class RestartableRedis {
  #peer: ChildPeer | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'regate-redis-aof-'));
  readonly port: number;
  constructor(port: number) {
    this.port = port;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const bin = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir];
    const peer = spawnPeer(bin, args);
    this.#peer = peer;
    await waitUntil(`redis-server on ${this.port}`, () => pingRedis(this.port), { abort: peer.exited });
  }
  async stop(): Promise<void> {
    await this.#peer?.stop();
  }
}

describe('Redis restarts mid-run (real redis-server with AOF, Azure fakes)', function () {
  this.timeout(60_000);
  let redis: RestartableRedis;
  let fakes: AzureFakes;
  let audit: Audit;

  before(async () => {
    redis = new RestartableRedis(await freePort());
    await redis.start();
    fakes = await AzureFakes.start();
    audit = await redisAudit(fakes, redis.url, 'restart:', { max_retry_delay_ms: 500 });
    await audit.flusher.start();
  });
  after(async () => {
    await audit.flusher.stop(2000);
    await audit.close();
    await fakes.close();
    await redis.stop();
  });

  it('refuses calls at once with REGATE_ERR_AUDIT_BUFFER while Redis is down (deny), records again after, and delivers every recorded event', async () => {
    const events = sampleEvents(600);
    const accepted: TranscriptEvent[] = [];
    const refusals: { code: string; ms: number }[] = [];
    let i = 0;
    /** One "call": its three events are appended, or the append is refused. */
    const call = async () => {
      const batch = events.slice(i, i + 3);
      i += 3;
      const t0 = Date.now();
      try {
        await audit.record(batch); // on_buffer_failure: deny (the default)
        accepted.push(...batch);
      } catch (err) {
        refusals.push({ code: err instanceof RegateError ? err.code : String(err), ms: Date.now() - t0 });
      }
    };
    for (let k = 0; k < 50; k++) await call();
    await redis.stop();
    for (let k = 0; k < 50; k++) await call();
    await redis.start();
    await waitUntil('appends accepted again', async () => {
      await call();
      return refusals.length > 0 && accepted.length > 150 && i < events.length && accepted.at(-1) === events[i - 1];
    }, { timeoutMs: 20_000, intervalMs: 100 });
    while (i < events.length) await call();

    assert.ok(refusals.length >= 50, 'every call during the outage was refused');
    assert.ok(refusals.every((r) => r.code === 'REGATE_ERR_AUDIT_BUFFER'));
    assert.ok(Math.max(...refusals.map((r) => r.ms)) < 2000, 'refused fast, never queued until Redis came back');
    await waitUntil('every accepted event delivered', async () => accepted.every((e) => fakes.ids().has(e.event_id)), { timeoutMs: 30_000 });
    checkReceived(events, fakes.received);
    const refusedIds = new Set(events.filter((e) => !accepted.includes(e)).map((e) => e.event_id));
    assert.ok(fakes.received.every((e) => !refusedIds.has(e.event_id)), 'a refused call left no transcript behind');
  });
});
