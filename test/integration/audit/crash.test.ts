import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Audit } from '../../../src/audit/create.ts';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { AzureFakes } from '../../helpers/azure-fakes.ts';
import { spawnPeer } from '../../helpers/peers.ts';
import { waitUntil } from '../../helpers/ports.ts';
import { startRedis, type RedisServer } from '../../helpers/redis.ts';
import { testCa } from '../../helpers/test-ca.ts';
import { checkReceived, redisAudit } from './audit-setup.ts';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

describe('a recorder killed with SIGKILL mid-upload (real redis-server, Azure fakes)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let fakes: AzureFakes;
  let survivor: Audit | undefined;

  before(async () => {
    redis = await startRedis();
    fakes = await AzureFakes.start();
  });
  after(async () => {
    await survivor?.flusher.stop(2000);
    await survivor?.close();
    await fakes.close();
    await redis.stop();
  });

  it('leaves its in-flight events pending, and another instance claims and uploads them all', async () => {
    const eventsFile = join(mkdtempSync(join(tmpdir(), 'regate-crash-')), 'events.json');
    fakes.hold(true); // the doomed instance's uploads never get an answer
    const peer = spawnPeer(process.execPath, [child], {
      ...process.env,
      NODE_EXTRA_CA_CERTS: (await testCa()).caFile,
      REDIS_URL: redis.url,
      PREFIX: 'crash:',
      COUNT: '2000',
      EVENTS_FILE: eventsFile,
      LOG_ANALYTICS: JSON.stringify(fakes.logAnalyticsConfig({ batch_max_events: 500, flush_interval_ms: 50 })),
    });
    await waitUntil('child has events in flight', async () => peer.output().includes('pending'), { timeoutMs: 30_000, abort: peer.exited });
    peer.child.kill('SIGKILL');
    await waitUntil('child gone', async () => peer.exited() !== undefined);
    assert.equal(peer.exited(), 'killed by SIGKILL');
    assert.equal(fakes.received.length, 0);
    const sent = JSON.parse(readFileSync(eventsFile, 'utf8')) as TranscriptEvent[];

    fakes.hold(false);
    survivor = await redisAudit(fakes, redis.url, 'crash:', { claim_idle_ms: 1000, consumer: 'survivor' });
    const before = await survivor.buffer.stats();
    assert.ok(before.pending > 0, 'the dead consumer left events pending');
    await survivor.flusher.start();
    await waitUntil('every event of the killed instance uploaded', async () => fakes.ids().size === sent.length, { timeoutMs: 30_000 });
    assert.equal(checkReceived(sent, fakes.received).distinct, 2000);
    const s = survivor;
    await waitUntil('nothing left pending', async () => (await s.buffer.stats()).pending === 0);
  });
});
