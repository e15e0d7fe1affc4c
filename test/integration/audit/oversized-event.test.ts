import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditConfigSchema } from '../../../src/audit/config.ts';
import { createAudit, type Audit } from '../../../src/audit/create.ts';
import { AzureFakes, azureClientOptions } from '../../helpers/azure-fakes.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { testCa } from '../../helpers/test-ca.ts';
import { waitUntil } from '../../helpers/ports.ts';

/**
 * One event too large for the ingestion service on its own (a 1.2 MB tool name an agent made up)
 * must not wedge delivery: it arrives cut to size under its own event_id, and what was queued
 * behind it arrives too.
 */
describe('an event Log Analytics refuses as too large on its own', function () {
  this.timeout(30_000);
  let fakes: AzureFakes;
  let audit: Audit;
  let dir: string;
  before(async () => {
    fakes = await AzureFakes.start();
    dir = await mkdtemp(join(tmpdir(), 'regate-oversize-'));
  });
  after(async () => {
    await audit?.flusher.stop(1000).catch(() => undefined);
    await audit?.close();
    await fakes?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is delivered cut to size, and the events behind it are delivered too', async () => {
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const config = auditConfigSchema.parse({ sink: 'log-analytics', log_analytics: fakes.logAnalyticsConfig({ batch_max_events: 500, flush_interval_ms: 50, max_retry_delay_ms: 200 }) });
    audit = await createAudit(config, { log, baseDir: dir, azure: azureClientOptions(await testCa(), 0) } as never);
    const [big, small] = sampleEvents(2);
    await audit.record([{ ...big!, tool: 'x'.repeat(1_200_000) }]);
    await audit.record([small!]);
    await audit.flusher.start();
    await waitUntil('both events delivered', async () => fakes.received.length >= 2, { timeoutMs: 15_000 });
    const got = new Map(fakes.received.map((e) => [e.event_id, e]));
    assert.ok(got.has(small!.event_id), 'the event queued behind it arrived');
    const shrunk = got.get(big!.event_id)!;
    assert.ok(shrunk.truncated?.includes('tool'), JSON.stringify(shrunk.truncated));
    assert.ok(String(shrunk.tool).length < 2000, 'the long field was cut');
  });
});
