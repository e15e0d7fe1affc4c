/**
 * Recording as regate composes it (createAudit) against a real redis-server and the Azure fakes,
 * for the delivery specs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditConfigSchema } from '../../../src/audit/config.ts';
import { createAudit, type Audit } from '../../../src/audit/create.ts';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import type { FlusherLogger } from '../../../src/audit/flusher.ts';
import { AzureFakes, azureClientOptions } from '../../helpers/azure-fakes.ts';
import { testCa } from '../../helpers/test-ca.ts';

export const quietLog: FlusherLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A recorder uploading to `fakes` through a Redis buffer at `redisUrl` (own client, fail-fast). */
export async function redisAudit(
  fakes: AzureFakes,
  redisUrl: string,
  prefix: string,
  overrides: { claim_idle_ms?: number; max_retry_delay_ms?: number; batch_max_events?: number; consumer?: string } = {},
): Promise<Audit> {
  const config = auditConfigSchema.parse({
    sink: 'log-analytics',
    log_analytics: fakes.logAnalyticsConfig({
      batch_max_events: overrides.batch_max_events ?? 500,
      flush_interval_ms: 50,
      max_retry_delay_ms: overrides.max_retry_delay_ms ?? 1000,
    }),
    buffer: { claim_idle_ms: overrides.claim_idle_ms ?? 60_000, append_timeout_ms: 500 },
  });
  return createAudit(config, {
    redis: { url: redisUrl, prefix },
    log: quietLog,
    baseDir: mkdtempSync(join(tmpdir(), 'regate-audit-')),
    azure: azureClientOptions(await testCa()),
    ...(overrides.consumer !== undefined ? { consumer: overrides.consumer } : {}),
  });
}

/** Asserts every copy the fake received equals the original with its event_id (duplicates only ever share it). */
export function checkReceived(sent: readonly TranscriptEvent[], received: readonly TranscriptEvent[]): { distinct: number; duplicates: number } {
  const byId = new Map(sent.map((e) => [e.event_id, JSON.stringify(e)]));
  const seen = new Set<string>();
  for (const e of received) {
    const original = byId.get(e.event_id);
    if (original === undefined) throw new Error(`received an event that was never sent: ${e.event_id}`);
    if (JSON.stringify(e) !== original) throw new Error(`event ${e.event_id} arrived changed`);
    seen.add(e.event_id);
  }
  return { distinct: seen.size, duplicates: received.length - seen.size };
}
