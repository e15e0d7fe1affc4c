import { DefaultAzureCredential } from '@azure/identity';
import type { Logger } from 'pino';
import { ComponentRegistry } from './components/component.ts';
import type { Config } from './config/schema.ts';
import { createEnforcement } from './enforcement/create.ts';
import { RegateError } from './errors.ts';
import { Metrics } from './http/metrics.ts';
import { startRegate, type RunningRegate } from './http/server.ts';
import { createIdentity, type Identity, type IdentityDeps } from './identity/create.ts';
import type { PolicyManager } from './policy/manager.ts';
import type { Stage } from './pipeline/stage.ts';
import { auditComponent, createAudit, type Audit } from './audit/create.ts';
import { createRedisClient } from './store/create.ts';
import { createRecordingStage } from './audit/stage.ts';
import { plannerFollowing } from './masking/planner-source.ts';
import { argumentMasker } from './masking/arguments.ts';
import { createMaskingStage } from './masking/stage.ts';
import { createCredentialStage } from './masking/credential-stage.ts';
import { orderStages } from './pipeline/stages.ts';
import { createStore } from './store/create.ts';
import { createApprovals } from './http/approvals.ts';
import { sessionReader } from './audit/review/run.ts';
import type { PolicyInput } from './policy/input.ts';

export interface Gateway {
  readonly regate: RunningRegate;
  /** Session recording: the buffer, flusher and sinks (tests read what was recorded). */
  readonly audit: Audit;
  readonly identity: Identity;
  readonly policy: PolicyManager;
}

/**
 * Assembles the whole gateway from a validated configuration: identity, the policy runtime and its
 * stage, metrics and components, then the HTTP server. `regate serve` and the end-to-end tests both
 * start regate through this one function.
 */
export async function startGateway(
  config: Config,
  opts: {
    baseDir: string;
    log: Logger;
    identityOverrides?: Partial<Pick<IdentityDeps, 'fetch' | 'credential'>>;
    /** Stages appended after the built-in ones (tests observe the pipeline with them). */
    extraStages?: readonly Stage[];
  },
): Promise<Gateway> {
  const { log } = opts;
  if (!config.auth) {
    throw new RegateError('REGATE_ERR_CONFIG_INVALID', 'auth: required; regate has no anonymous mode (provider entra, oidc, or dev for a laptop)');
  }
  const identity = await createIdentity(config.auth, {
    logger: log.child({ component: 'identity' }),
    publicBaseUrl: config.public_url ?? `http://${config.listen.host}:${config.listen.port}`,
    // Graph groups-overage lookups use the gateway's own Azure identity (managed identity, env, CLI...).
    ...(config.auth.provider === 'entra' ? { credential: new DefaultAzureCredential() } : {}),
    baseDir: opts.baseDir,
    ...opts.identityOverrides,
  });
  const metrics = new Metrics();
  const components = new ComponentRegistry();
  const { store, component: storeComponent } = createStore(config.redis, log, { baseDir: opts.baseDir });
  components.add(storeComponent);
  const enforcement = await createEnforcement(config, opts.baseDir, log, metrics, store);
  components.add(enforcement.manager);
  // One mask planner for the active bundle: the mask stage and the transcript's arguments share it.
  const planner = plannerFollowing(config.masking, () => enforcement.manager.current()?.engine.maskingData, (err) =>
    log.error({ component: 'masking', err }, "the bundle's custom detectors are malformed; obligations naming them mask with every detector"),
  );
  // What approvers, notifications and the transcript see of a call's arguments and its justification.
  const maskArguments = argumentMasker(planner);
  const approvals = config.approvals ? createApprovals(config, config.approvals, { store, log, policy: enforcement.stage, identity, metrics, maskArguments, ...(opts.identityOverrides?.fetch ? { fetch: opts.identityOverrides.fetch } : {}) }) : undefined;
  // The transcript buffer uses Redis Streams on a connection of its own, configured as the store's.
  const auditRedis = config.redis ? createRedisClient(config.redis, log.child({ component: 'audit' }), { baseDir: opts.baseDir, name: 'regate-audit' }) : undefined;
  const audit = await createAudit(config.audit, {
    ...(config.redis && auditRedis ? { redis: { client: auditRedis, prefix: config.redis.key_prefix } } : {}),
    log: log.child({ component: 'audit' }),
    baseDir: opts.baseDir,
    maskArguments,
  });
  components.add(auditComponent(audit, async () => void (await auditRedis?.quit().catch(() => auditRedis.disconnect()))));
  metrics.watchAudit(audit.metrics);
  const recording = createRecordingStage(audit, log.child({ component: 'audit' }));
  const masking = createMaskingStage({
    planner,
    log: log.child({ component: 'masking' }),
    onCounts: (connection, masked, exposed) => metrics.maskCounts(connection, masked, exposed),
  });
  const credentials = createCredentialStage({ log: log.child({ component: 'masking' }) });
  if (!config.audit.enabled) log.warn({ component: 'audit' }, 'recording is off (audit.enabled: false): no call through this gateway leaves a transcript');
  const stages = orderStages({ policy: enforcement.stage, approvals: approvals?.stage, credentials, masking, recording: config.audit.enabled ? recording : undefined, extra: opts.extraStages });
  // GET /sessions/{id}: recorded timelines, for principals the policy allows (sessions/read).
  const sessions = { decide: (input: PolicyInput) => enforcement.manager.evaluate(input), read: sessionReader(config, opts.baseDir) };
  const regate = await startRegate({ config, log, identity, metrics, components, stages, store, sessions, ...(approvals ? { approvals: approvals.routes } : {}) });
  approvals?.listeningAt(regate.url);
  return { regate, identity, policy: enforcement.manager, audit };
}
