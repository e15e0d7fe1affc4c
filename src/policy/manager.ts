/**
 * Owns the active policy. New bundles from a source are read, verified and compiled into a fresh
 * engine first; only then is the engine swapped in, in one assignment, so every evaluation uses
 * exactly one bundle and the revision in decisions changes exactly at the swap. A bundle that
 * fails at any step is refused and the previous engine keeps enforcing (OPA's activation model).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Component, ComponentStatus } from '../components/component.ts';
import { asRegateError, type RegateError } from '../errors.ts';
import { readBundle, type Bundle } from './bundle/read-bundle.ts';
import type { VerificationOptions } from './bundle/verify.ts';
import { failClosedResult, outcomeOf, type PolicyDecision } from './decision.ts';
import { PolicyEngine, type EngineOptions } from './engine.ts';
import { silentLogger, type BundleSource, type SourceLogger } from './sources/source.ts';

export interface PolicyManagerOptions {
  readonly source: BundleSource;
  /** Absent: unsigned bundles are accepted (with a warning) and signed ones refused, as in OPA. */
  readonly verification?: VerificationOptions;
  readonly engine?: EngineOptions;
  readonly maxBundleBytes?: number;
  readonly log?: SourceLogger;
  /** Called after each swap with the new engine and the one it replaced (metrics, decision logs). */
  readonly onActivate?: (engine: PolicyEngine, previous: PolicyEngine | undefined) => void;
  /** Called for each refused bundle. */
  readonly onRefuse?: (error: RegateError, origin: string) => void;
}

export interface ActivePolicy {
  readonly engine: PolicyEngine;
  readonly revision: string;
  readonly activatedAt: string;
  readonly origin: string;
  /** SHA-256 of the tarball, so that the same bytes offered again are not activated twice. */
  readonly sha256: string;
}

export class PolicyManager implements Component {
  readonly name = 'policy';
  readonly #options: PolicyManagerOptions;
  readonly #log: SourceLogger;
  #active: ActivePolicy | undefined;
  #lastError: { readonly code: string; readonly message: string; readonly at: string; readonly origin: string } | undefined;
  /** Activations run one after another, so a slow older bundle can never overwrite a newer one. */
  #queue: Promise<unknown> = Promise.resolve();
  #activations = 0;
  #refusals = 0;

  constructor(options: PolicyManagerOptions) {
    this.#options = options;
    this.#log = options.log ?? silentLogger;
  }

  /** The active engine and its revision, or undefined before the first bundle was activated. */
  current(): ActivePolicy | undefined {
    return this.#active;
  }

  /** Decides with the active engine; without one, denies (fail closed). */
  evaluate(input: object): PolicyDecision {
    const active = this.#active;
    if (active !== undefined) return active.engine.evaluate(input);
    const result = failClosedResult('REGATE_ERR_POLICY_NOT_READY', 'no policy bundle has been activated yet');
    return { ...result, outcome: outcomeOf(result), revision: '', decision_id: randomUUID(), duration_us: 0 };
  }

  /** Reads, verifies and compiles a tarball, then swaps it in; rejects with why it was refused. */
  activate(tarball: Buffer, origin: string): Promise<ActivePolicy> {
    const run = this.#queue.then(() => this.#activate(tarball, origin));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #activate(tarball: Buffer, origin: string): Promise<ActivePolicy> {
    const sha256 = createHash('sha256').update(tarball).digest('hex');
    // E.g. the persisted bundle at start-up and then the same bundle from the server.
    if (this.#active?.sha256 === sha256) return this.#active;
    let bundle: Bundle;
    let engine: PolicyEngine;
    try {
      bundle = await readBundle(tarball, {
        ...(this.#options.verification !== undefined ? { verification: this.#options.verification } : {}),
        ...(this.#options.maxBundleBytes !== undefined ? { maxBytes: this.#options.maxBundleBytes } : {}),
      });
      engine = await PolicyEngine.fromBundle(bundle, this.#options.engine);
    } catch (err) {
      const e = asRegateError(err, 'REGATE_ERR_POLICY_LOAD');
      this.#refusals++;
      this.#lastError = { code: e.code, message: e.message, at: new Date().toISOString(), origin };
      this.#log.error(
        { err: e, code: e.code, origin, active_revision: this.#active?.revision ?? null },
        this.#active ? 'policy bundle refused; the previous policy stays active' : 'policy bundle refused; no policy is active',
      );
      this.#options.onRefuse?.(e, origin);
      throw e;
    }
    if (!bundle.signed) {
      this.#log.warn({ origin, revision: bundle.revision }, 'policy bundle is not signed; configure policy.verification to require signatures');
    }
    const previous = this.#active?.engine;
    const active: ActivePolicy = { engine, revision: engine.revision, activatedAt: new Date().toISOString(), origin, sha256 };
    this.#active = active; // the swap: evaluations from here on use the new engine
    this.#lastError = undefined;
    this.#activations++;
    this.#log.info({ origin, revision: engine.revision, previous_revision: previous?.revision ?? null, signed: bundle.signed }, 'policy bundle activated');
    this.#options.onActivate?.(engine, previous);
    return active;
  }

  async start(): Promise<void> {
    await this.#options.source.start(async (tarball, origin) => {
      await this.activate(tarball, origin);
    });
  }

  async stop(_deadlineMs: number): Promise<void> {
    await this.#options.source.stop();
  }

  status(): ComponentStatus {
    const active = this.#active;
    const source = this.#options.source.status();
    const details = {
      source: source.location,
      ...(active ? { revision: active.revision, activated_at: active.activatedAt, signed: active.engine.signed } : {}),
      activations: this.#activations,
      refusals: this.#refusals,
      ...(this.#lastError ? { last_error: this.#lastError } : {}),
      ...(source.lastError !== undefined ? { source_error: source.lastError } : {}),
    };
    if (active === undefined) {
      const why = this.#lastError?.message ?? source.lastError;
      return { state: why ? 'ERROR' : 'NOT_READY', message: why ?? 'waiting for the first policy bundle', details };
    }
    // An old policy still enforcing is ready; the failed update shows in the message and details.
    const problem = this.#lastError?.message ?? source.lastError;
    const message = `revision ${active.revision || '(none)'} active${problem ? `; last update failed: ${problem}` : ''}`;
    return { state: 'OK', message, details };
  }
}
