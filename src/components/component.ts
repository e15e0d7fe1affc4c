/**
 * A long-lived part of regate (bundle loader, transcript flusher, Redis store, ...), modelled on
 * OPA's plugin manager: each reports a status, and `/readyz` is the aggregate of all of them.
 */
export type ComponentState = 'NOT_READY' | 'OK' | 'DEGRADED' | 'ERROR';

/** Every state, for metrics that report each one as 1 or 0. */
export const COMPONENT_STATES: readonly ComponentState[] = ['NOT_READY', 'OK', 'DEGRADED', 'ERROR'];

/**
 * What /readyz reports. DEGRADED means serving, but something is unhealthy (e.g. the transcript
 * sink fails while events buffer safely): still ready, so an outage of a shared dependency does not
 * take every replica out of the load balancer, but reported and alerted on.
 */
export interface ReadinessReport {
  /** True when every component is OK or DEGRADED. */
  readonly ready: boolean;
  /** True when any component is DEGRADED. */
  readonly degraded: boolean;
  readonly components: Record<string, ComponentStatus>;
}

export interface ComponentStatus {
  readonly state: ComponentState;
  /** One line for operators, e.g. the active bundle revision or the last error. */
  readonly message?: string;
  /** Extra facts shown in /readyz (e.g. `{ revision: "abc123" }`). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Stops within `deadlineMs`, flushing what it must. */
  stop(deadlineMs: number): Promise<void>;
  status(): ComponentStatus;
}

/** Holds every component; start in order, stop in reverse, readiness = all OK or DEGRADED. */
export class ComponentRegistry {
  readonly #components: Component[] = [];

  add(component: Component): void {
    this.#components.push(component);
  }

  async startAll(): Promise<void> {
    for (const c of this.#components) await c.start();
  }

  async stopAll(deadlineMs: number): Promise<void> {
    for (const c of [...this.#components].reverse()) {
      try {
        await c.stop(deadlineMs);
      } catch {
        // A component that fails to stop must not keep the others from stopping.
      }
    }
  }

  /** Readiness report: ready when every component is OK or DEGRADED; degraded when any is DEGRADED. */
  report(): ReadinessReport {
    const components: Record<string, ComponentStatus> = {};
    let ready = true;
    let degraded = false;
    for (const c of this.#components) {
      const s = c.status();
      components[c.name] = s;
      if (s.state === 'DEGRADED') degraded = true;
      else if (s.state !== 'OK') ready = false;
    }
    return { ready, degraded, components };
  }
}
