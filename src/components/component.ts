/**
 * A long-lived part of regate (bundle loader, transcript flusher, Redis store, ...), modelled on
 * OPA's plugin manager: each reports a status, and `/readyz` is the aggregate of all of them.
 */
export type ComponentState = 'NOT_READY' | 'OK' | 'ERROR';

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

/** Holds every component; start in order, stop in reverse, readiness = all OK. */
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

  /** Readiness report: ready only when every component is OK. */
  report(): { ready: boolean; components: Record<string, ComponentStatus> } {
    const components: Record<string, ComponentStatus> = {};
    let ready = true;
    for (const c of this.#components) {
      const s = c.status();
      components[c.name] = s;
      if (s.state !== 'OK') ready = false;
    }
    return { ready, components };
  }
}
