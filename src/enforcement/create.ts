import type { Logger } from 'pino';
import { flatRecordLogger } from '../log.ts';
import type { Config } from '../config/schema.ts';
import type { Metrics } from '../http/metrics.ts';
import { policyRuntimeOptions } from '../policy/config.ts';
import { PolicyManager } from '../policy/manager.ts';
import type { Stage } from '../pipeline/stage.ts';
import { createPolicyStage } from './policy-stage.ts';
import type { Store } from '../store/store.ts';

export interface Enforcement {
  readonly manager: PolicyManager;
  readonly stage: Stage;
}

/**
 * Builds the policy runtime from configuration: the bundle source and manager (a component whose
 * status is in /readyz), and the stage that decides every message. Every decision becomes one
 * decision-log line and one metrics sample; the transcript pipeline will take them too.
 */
export async function createEnforcement(config: Config, baseDir: string, log: Logger, metrics: Metrics, store?: Store): Promise<Enforcement> {
  const policyLog = log.child({ component: 'policy' });
  const runtime = await policyRuntimeOptions(config.policy, baseDir, policyLog);
  const manager = new PolicyManager({
    source: runtime.source,
    engine: runtime.engine,
    maxBundleBytes: runtime.maxBundleBytes,
    log: policyLog,
    ...(runtime.verification ? { verification: runtime.verification } : {}),
    onActivate: (engine) => metrics.bundleActivated(engine.revision),
    onRefuse: (err) => metrics.bundleRefused(err.code),
  });
  // One line per decision, on every call: flat records, so the cheaper fixed-path redaction.
  const decisionLog = flatRecordLogger(log, { component: 'decision_log' });
  const stage = createPolicyStage({
    evaluate: (input) => manager.evaluate(input),
    modeFor: (c) => c.policy?.mode ?? config.policy.mode,
    onDecision: (record) => {
      metrics.policyDecision(record.connection, record.outcome, record.rule, record.enforced, record.duration_us / 1e6);
      decisionLog.info(record, record.outcome === 'allow' ? 'decision' : record.enforced ? 'decision: refused' : 'decision: would refuse (shadow)');
    },
    onServerRefused: (connection, method) => metrics.serverMessageRefused(connection, method),
    log: policyLog,
    ...(store !== undefined ? { store } : {}),
  });
  return { manager, stage };
}
