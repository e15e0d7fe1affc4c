/**
 * Starts the whole gateway (identity, policy, proxy) from a config document, through the same
 * composition `regate serve` uses, with dev authentication and silent logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stage } from '../../src/pipeline/stage.ts';
import { startGateway, type Gateway } from '../../src/compose.ts';
import { buildConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log.ts';

export const REPO = join(import.meta.dirname, '../..');
export const COMMITTED_BUNDLE = join(REPO, 'bundles/regate.tar.gz');

export interface TestGateway extends Gateway {
  /** A dev token for a principal with these groups. */
  token(sub: string, groups: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** `log` replaces the silent logger (e.g. a captured one, to read the decision log). */
export async function startTestGateway(
  doc: Omit<ConfigInput, 'listen' | 'auth'>,
  opts: { extraStages?: readonly Stage[]; readonly log?: Logger } = {},
): Promise<TestGateway> {
  // Transcripts of a test run go to a scratch directory, never into the repository's data/.
  const scratch = await mkdtemp(join(tmpdir(), 'regate-gw-'));
  const config = buildConfig(
    {
      audit: { file: { path: join(scratch, 'transcripts.jsonl') }, buffer: { spill_path: join(scratch, 'audit-buffer.jsonl') } },
      ...doc,
      listen: { host: '127.0.0.1', port: 0 },
      auth: { provider: 'dev', dev: { enabled: true, key_file: null } },
    },
    {},
  );
  const gw = await startGateway(config, {
    baseDir: REPO,
    log: opts.log ?? createLogger(process.env.REGATE_TEST_LOG ?? 'silent'),
    ...(opts.extraStages ? { extraStages: opts.extraStages } : {}),
  });
  return {
    ...gw,
    token: (sub, groups) => gw.identity.dev!.mint({ sub, groups }),
    stop: async () => {
      await gw.regate.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
