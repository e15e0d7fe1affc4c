/**
 * Loads one policy bundle file for offline decisions (`whatif`, `review --bundle`), verified as
 * the configuration's `policy.verification` says, through the same manager the gateway uses.
 */
import { resolve } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { RegateError } from '../../errors.ts';
import { policyRuntimeOptions } from '../../policy/config.ts';
import type { PolicyDecision } from '../../policy/decision.ts';
import type { PolicyInput } from '../../policy/input.ts';
import { PolicyManager } from '../../policy/manager.ts';

export interface OfflinePolicy {
  readonly path: string;
  readonly revision: string;
  decide(input: PolicyInput): PolicyDecision;
  stop(): Promise<void>;
}

/** The bundle at `bundlePath` (relative to the working directory) ready to decide; throws the refusal when it cannot be used. */
export async function loadOfflinePolicy(config: Config, baseDir: string, bundlePath: string): Promise<OfflinePolicy> {
  const path = resolve(bundlePath);
  const runtime = await policyRuntimeOptions({ ...config.policy, bundle: { path, poll_seconds: 3600 } }, baseDir);
  let refusal: RegateError | undefined;
  const manager = new PolicyManager({
    source: runtime.source,
    engine: runtime.engine,
    maxBundleBytes: runtime.maxBundleBytes,
    ...(runtime.verification ? { verification: runtime.verification } : {}),
    onRefuse: (e) => {
      refusal = e;
    },
  });
  await manager.start();
  const active = manager.current();
  if (active === undefined) {
    await manager.stop(1000);
    throw refusal ?? new RegateError('REGATE_ERR_POLICY_NOT_READY', `--bundle ${bundlePath}: ${manager.status().message}`);
  }
  return { path, revision: active.revision, decide: (input) => manager.evaluate(input), stop: () => manager.stop(1000) };
}
