import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditConfigSchema } from '../../../src/audit/config.ts';
import { createAudit } from '../../../src/audit/create.ts';
import { MemoryFileBuffer } from '../../../src/audit/memory-file-buffer.ts';
import { RegateError } from '../../../src/errors.ts';
import { AzureFakes, azureClientOptions } from '../../helpers/azure-fakes.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { waitUntil } from '../../helpers/ports.ts';
import { testCa } from '../../helpers/test-ca.ts';
import { quietLog } from './audit-setup.ts';

describe('createAudit', () => {
  it('embedded default: memory + spill-file buffer, transcripts in data/transcripts.jsonl under the base dir', async () => {
    const baseDir = mkdtempSync(join(tmpdir(), 'regate-embedded-'));
    const audit = await createAudit(auditConfigSchema.parse({}), { log: quietLog, baseDir });
    assert.ok(audit.buffer instanceof MemoryFileBuffer);
    assert.equal(audit.onBufferFailure, 'deny');
    assert.deepEqual(audit.sinks.map((s) => s.name), ['file']);
    assert.ok(existsSync(join(baseDir, 'data/audit-buffer.jsonl')));
    await audit.flusher.start();
    const events = sampleEvents(12);
    await audit.buffer.append(events);
    await audit.flusher.stop(5000);
    await audit.close();
    const lines = readFileSync(join(baseDir, 'data/transcripts.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id), events.map((e) => e.event_id));
    assert.equal(audit.metrics.counters().delivered, 12);
    assert.deepEqual(await audit.metrics.bufferStats(), { size: 0, pending: 0, lag: 0, oldestUnackedAgeMs: 0 });
  });

  it('sinks: [file, log-analytics] writes every event to both', async () => {
    const fakes = await AzureFakes.start();
    try {
      const baseDir = mkdtempSync(join(tmpdir(), 'regate-both-'));
      const config = auditConfigSchema.parse({ sinks: ['file', 'log-analytics'], log_analytics: fakes.logAnalyticsConfig({ flush_interval_ms: 20 }) });
      const audit = await createAudit(config, { log: quietLog, baseDir, azure: azureClientOptions(await testCa()) });
      await audit.flusher.start();
      const events = sampleEvents(30);
      await audit.buffer.append(events);
      await waitUntil('uploaded', async () => fakes.ids().size === 30);
      await audit.flusher.stop(5000);
      await audit.close();
      const inFile = readFileSync(join(baseDir, 'data/transcripts.jsonl'), 'utf8').trim().split('\n');
      assert.equal(inFile.length, 30);
    } finally {
      await fakes.close();
    }
  });

  for (const mode of ['deny', 'allow'] as const) {
    it(`record() under on_buffer_failure: ${mode} ${mode === 'deny' ? 'refuses the call with REGATE_ERR_AUDIT_BUFFER' : 'lets the call through, counted and logged'}`, async () => {
      const warnings: string[] = [];
      const log = { ...quietLog, warn: (_: object, msg: string) => void warnings.push(msg) };
      const audit = await createAudit(auditConfigSchema.parse({ on_buffer_failure: mode, buffer: { max_events: 2 } }), {
        log,
        baseDir: mkdtempSync(join(tmpdir(), 'regate-record-')),
      });
      await audit.record(sampleEvents(2));
      const over = audit.record(sampleEvents(2));
      if (mode === 'deny') {
        await assert.rejects(over, (err: unknown) => err instanceof RegateError && err.code === 'REGATE_ERR_AUDIT_BUFFER' && err.status === 503);
        assert.equal(audit.metrics.unrecorded(), 0);
      } else {
        await over;
        assert.equal(audit.metrics.unrecorded(), 2);
        assert.deepEqual(warnings, ['call forwarded unrecorded (audit.on_buffer_failure: allow)']);
      }
      await audit.close();
    });
  }
});
