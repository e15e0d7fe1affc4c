/**
 * Approval metrics on regate's registry: transitions this replica wrote (by status), notification
 * outcomes (by notifier), and calls held right now.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ApprovalMetrics {
  transition(status: string): void;
  notification(notifier: string, ok: boolean): void;
  held(delta: 1 | -1): void;
}

export function approvalMetrics(registry: Registry): ApprovalMetrics {
  const transitions = new Counter({ name: 'regate_approval_transitions_total', help: 'Approval state changes written by this replica, by new status', labelNames: ['status'], registers: [registry] });
  const notifications = new Counter({ name: 'regate_approval_notifications_total', help: 'Approval notifications by notifier and outcome (ok | failed, after retries)', labelNames: ['notifier', 'outcome'], registers: [registry] });
  const held = new Gauge({ name: 'regate_approval_held_calls', help: 'Calls held on this replica waiting for approval', registers: [registry] });
  return {
    transition: (status) => transitions.inc({ status }),
    notification: (notifier, ok) => notifications.inc({ notifier, outcome: ok ? 'ok' : 'failed' }),
    held: (delta) => held.inc(delta),
  };
}
