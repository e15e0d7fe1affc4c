import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditMetrics } from '../audit/create.ts';

type AuditMetricsSource = Pick<AuditMetrics, 'bufferStats' | 'counters' | 'unrecorded'>;
import { COMPONENT_STATES, type ReadinessReport } from '../components/component.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';

/** MCP methods (spec 2025-06-18) and message kinds that get their own metric label value. */
const METRIC_METHODS: ReadonlySet<string> = new Set([
  'request', 'response', 'notification',
  'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/templates/list', 'resources/read',
  'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get', 'completion/complete',
  'logging/setLevel', 'sampling/createMessage', 'elicitation/create', 'roots/list',
  'notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/message',
  'notifications/resources/updated', 'notifications/resources/list_changed', 'notifications/tools/list_changed',
  'notifications/prompts/list_changed', 'notifications/roots/list_changed',
]);

/** Prometheus metrics for one regate instance (own registry, so tests can run several apps). */
export class Metrics implements ProxyMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'regate_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'regate_http_request_duration_seconds',
    help: 'Time to the end of the response (for streams: until the stream closed)',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly #upstreamLatency = new Histogram({
    name: 'regate_upstream_response_seconds',
    help: 'Time from forwarding a request to receiving the upstream response headers',
    labelNames: ['connection'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly #messages = new Counter({
    name: 'regate_mcp_messages_total',
    help: 'JSON-RPC messages seen, by connection, direction and method (or kind for responses)',
    labelNames: ['connection', 'direction', 'method'] as const,
    registers: [this.registry],
  });
  readonly #serverRefused = new Counter({
    name: 'regate_server_messages_refused_total',
    help: 'Server -> client requests and notifications refused by policy (answered upstream, or dropped)',
    labelNames: ['connection', 'method'] as const,
    registers: [this.registry],
  });
  readonly #upstreamErrors = new Counter({
    name: 'regate_upstream_errors_total',
    help: 'Upstream failures by connection and error code',
    labelNames: ['connection', 'code'] as const,
    registers: [this.registry],
  });
  readonly #openStreams = new Gauge({
    name: 'regate_open_streams',
    help: 'SSE streams currently open to clients',
    labelNames: ['connection'] as const,
    registers: [this.registry],
  });

  readonly #decisions = new Counter({
    name: 'regate_policy_decisions_total',
    help: 'Policy decisions by connection, outcome, rule and whether they were enforced (false in shadow mode)',
    labelNames: ['connection', 'outcome', 'rule', 'enforced'] as const,
    registers: [this.registry],
  });
  readonly #evaluation = new Histogram({
    name: 'regate_policy_evaluation_seconds',
    help: 'Time to evaluate one decision in WASM',
    buckets: [0.000005, 0.00001, 0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
    registers: [this.registry],
  });
  readonly #bundle = new Gauge({
    name: 'regate_policy_bundle_info',
    help: 'The active policy bundle (value 1), labelled by revision',
    labelNames: ['revision'] as const,
    registers: [this.registry],
  });
  readonly #refusals = new Counter({
    name: 'regate_policy_bundle_refusals_total',
    help: 'Policy bundles refused (bad signature, broken tarball, failing WASM); the previous policy stayed active',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time, so the gauge is never stale; set by watchComponents. */
  #componentReport: (() => ReadinessReport) | undefined;
  readonly #componentState = new Gauge({
    name: 'regate_component_state',
    help: 'State of each component (1 for its current state, 0 for the others); alert on DEGRADED and ERROR',
    labelNames: ['component', 'state'] as const,
    registers: [this.registry],
    collect: () => this.#collectComponentStates(),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'regate_' });
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.#requests.inc({ route, method, status: String(status) });
    this.#duration.observe({ route, method }, seconds);
  }
  message(connection: string, direction: 'client' | 'server', method: string): void {
    // Methods are strings from the network: only the protocol's own become label values, so a
    // client cannot create time series (memory) by inventing method names.
    const m = METRIC_METHODS.has(method) ? method : 'other';
    this.#messages.inc({ connection, direction, method: m });
  }
  /** Values masked and detector hits left in clear, per connection and detector (or path). */
  maskCounts(connection: string, masked: Readonly<Record<string, number>>, exposed: Readonly<Record<string, number>>): void {
    // Paths come from the policy (bounded by the bundle); detector names are a fixed set plus custom ones.
    for (const [what, n] of Object.entries(masked)) this.#masked.inc({ connection, what }, n);
    for (const [what, n] of Object.entries(exposed)) this.#exposed.inc({ connection, what }, n);
  }
  readonly #masked = new Counter({
    name: 'regate_masked_values_total',
    help: 'Values masked in server -> client messages, by connection and detector or JSON path',
    labelNames: ['connection', 'what'] as const,
    registers: [this.registry],
  });
  readonly #exposed = new Counter({
    name: 'regate_exposed_values_total',
    help: 'Detector hits left in clear because the policy allowed them (masking.observe), by connection and detector',
    labelNames: ['connection', 'what'] as const,
    registers: [this.registry],
  });
  serverMessageRefused(connection: string, method: string): void {
    this.#serverRefused.inc({ connection, method: METRIC_METHODS.has(method) ? method : 'other' });
  }
  upstreamError(connection: string, code: string): void {
    this.#upstreamErrors.inc({ connection, code });
  }
  streamOpened(connection: string): void {
    this.#openStreams.inc({ connection });
  }
  streamClosed(connection: string): void {
    this.#openStreams.dec({ connection });
  }
  policyDecision(connection: string, outcome: string, rule: string, enforced: boolean, seconds: number): void {
    this.#decisions.inc({ connection, outcome, rule, enforced: String(enforced) });
    this.#evaluation.observe(seconds);
  }
  bundleActivated(revision: string): void {
    this.#bundle.reset();
    this.#bundle.set({ revision }, 1);
  }
  bundleRefused(code: string): void {
    this.#refusals.inc({ code });
  }
  /** Reports the components of `report` in regate_component_state at every scrape. */
  /** Transcript buffer gauges and delivery counters, read at scrape time. */
  watchAudit(audit: AuditMetricsSource): void {
    this.#audit = audit;
  }
  #audit: AuditMetricsSource | undefined;
  readonly #auditBuffer = new Gauge({
    name: 'regate_audit_buffer',
    help: 'Transcript buffer: events waiting (size), read but unacknowledged (pending), not yet read (lag), and the oldest unacknowledged age in seconds',
    labelNames: ['figure'] as const,
    registers: [this.registry],
    collect: async () => {
      if (this.#audit === undefined) return;
      try {
        const s = await this.#audit.bufferStats();
        this.#auditBuffer.set({ figure: 'size' }, s.size);
        this.#auditBuffer.set({ figure: 'pending' }, s.pending);
        this.#auditBuffer.set({ figure: 'lag' }, s.lag);
        this.#auditBuffer.set({ figure: 'oldest_unacked_age_seconds' }, s.oldestUnackedAgeMs / 1000);
      } catch {
        // The buffer is unreachable (Redis down): the readiness report says so; no stale figures.
        this.#auditBuffer.reset();
      }
    },
  });
  readonly #auditDelivery = new Gauge({
    name: 'regate_audit_events',
    help: 'Transcript events delivered to the sinks, upload batches, failed upload attempts, and calls forwarded unrecorded (on_buffer_failure: allow), since start',
    labelNames: ['figure'] as const,
    registers: [this.registry],
    collect: () => {
      if (this.#audit === undefined) return;
      const c = this.#audit.counters();
      this.#auditDelivery.set({ figure: 'delivered' }, c.delivered);
      this.#auditDelivery.set({ figure: 'batches' }, c.batches);
      this.#auditDelivery.set({ figure: 'failed_attempts' }, c.failedAttempts);
      this.#auditDelivery.set({ figure: 'unrecorded' }, this.#audit.unrecorded());
    },
  });

  watchComponents(report: () => ReadinessReport): void {
    this.#componentReport = report;
  }
  #collectComponentStates(): void {
    this.#componentState.reset();
    const report = this.#componentReport?.();
    if (report === undefined) return;
    for (const [component, status] of Object.entries(report.components)) {
      for (const state of COMPONENT_STATES) this.#componentState.set({ component, state }, status.state === state ? 1 : 0);
    }
  }
  upstreamLatency(connection: string, seconds: number): void {
    this.#upstreamLatency.observe({ connection }, seconds);
  }
}
