/**
 * Starts regate in-process on a free port with the given connections, exactly as `regate serve`
 * does (same config validation, same server factory), with logs silenced unless REGATE_TEST_LOG is set.
 */
import { buildConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startRegate, type RegateOptions, type RunningRegate } from '../../src/http/server.ts';
import { createLogger } from '../../src/log.ts';

export async function startTestRegate(
  doc: Omit<ConfigInput, 'listen'> & { listen?: ConfigInput['listen'] },
  extra: Omit<RegateOptions, 'config' | 'log'> = {},
): Promise<RunningRegate> {
  const config = buildConfig({ ...doc, listen: { host: '127.0.0.1', port: 0, ...doc.listen } }, {});
  const log = createLogger(process.env.REGATE_TEST_LOG ?? 'silent');
  return startRegate({ config, log, ...extra });
}
