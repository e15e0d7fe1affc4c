/**
 * The order of the stages, declared once. Client -> upstream: decide (policy), approve (may hold),
 * mask (nothing to do on requests), record (the barrier before forwarding). Upstream -> client the
 * same order: decide (server requests and notifications, listings), remove the gateway's own
 * credential, mask, then record sees what the client receives. Authentication and parsing happen before the pipeline (src/http/auth.ts,
 * src/mcp/jsonrpc.ts): the pipeline only ever sees authenticated, well-formed messages.
 */
import type { Stage } from './stage.ts';

export interface StageSet {
  readonly policy?: Stage | undefined;
  readonly approvals?: Stage | undefined;
  /** Removes the connection's own credential from upstream messages, before masking sees them. */
  readonly credentials?: Stage | undefined;
  readonly masking?: Stage | undefined;
  readonly recording?: Stage | undefined;
  /** Extra stages (tests), appended after the built-in ones. */
  readonly extra?: readonly Stage[] | undefined;
}

/** The stages of a gateway, in pipeline order, leaving out those not configured. */
export function orderStages(s: StageSet): Stage[] {
  const ordered = [s.policy, s.approvals, s.credentials, s.masking, s.recording, ...(s.extra ?? [])];
  return ordered.filter((x): x is Stage => x !== undefined);
}
