/**
 * What notifiers send about a new approval request, as pure functions: a generic webhook JSON
 * (signed, see signature.ts), a Teams Workflows message with an Adaptive Card, and Slack blocks.
 * None of them carries argument values: approvers read the (redacted) arguments on the page,
 * behind sign-in. Only the argument names and their digest travel.
 */
import type { ApprovalRecord } from '../record.ts';
import { isRecord } from '../../util/is-record.ts';

/** The facts every notification carries. */
export interface NotificationFacts {
  readonly event: 'approval.requested';
  readonly id: string;
  readonly url: string;
  readonly connection: string;
  readonly tool: string;
  readonly requester: { readonly id: string; readonly name: string; readonly type: string };
  readonly justification: string;
  readonly reason: string;
  readonly rule: string;
  readonly approvers: readonly string[];
  readonly min_approvals: number;
  readonly argument_names: readonly string[];
  readonly arguments_sha256: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly mode: string;
}

export function notificationFacts(r: ApprovalRecord, url: string): NotificationFacts {
  const args = r.arguments;
  return {
    event: 'approval.requested',
    id: r.id,
    url,
    connection: r.connection,
    tool: r.tool,
    requester: { id: r.requester.id, name: r.requester.name, type: r.requester.type },
    justification: r.justification,
    reason: r.reason,
    rule: r.rule,
    approvers: r.approvers,
    min_approvals: r.min_approvals,
    argument_names: isRecord(args) ? Object.keys(args).sort() : [],
    arguments_sha256: r.digest,
    created_at: new Date(r.created_at).toISOString(),
    expires_at: new Date(r.expires_at).toISOString(),
    mode: r.mode,
  };
}

/** The version of the Adaptive Card schema the Teams card declares (Teams supports up to 1.5). */
export const ADAPTIVE_CARD_VERSION = '1.4';

/** A Teams Workflows ("When a Teams webhook request is received") message with one Adaptive Card. */
export function teamsMessage(f: NotificationFacts): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          body: [
            { type: 'TextBlock', text: `Approval needed: ${f.tool} on ${f.connection}`, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: f.reason, wrap: true, isSubtle: true },
            {
              type: 'FactSet',
              facts: [
                { title: 'Requested by', value: `${f.requester.name} (${f.requester.id})` },
                { title: 'Justification', value: f.justification },
                { title: 'Arguments', value: f.argument_names.length ? f.argument_names.join(', ') : '(none)' },
                { title: 'Approvers', value: `${f.min_approvals} of ${f.approvers.join(', ')}` },
                { title: 'Expires', value: f.expires_at },
              ],
            },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Review and decide', url: f.url }],
        },
      },
    ],
  };
}

/** Escapes Slack mrkdwn control characters. */
function slackText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook message with blocks and a link button to the page. */
export function slackMessage(f: NotificationFacts): Record<string, unknown> {
  return {
    text: `Approval needed: ${f.tool} on ${f.connection} by ${f.requester.name}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Approval needed:* \`${slackText(f.tool)}\` on \`${slackText(f.connection)}\`\n${slackText(f.reason)}` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Requested by*\n${slackText(f.requester.name)}` },
          { type: 'mrkdwn', text: `*Justification*\n${slackText(f.justification)}` },
          { type: 'mrkdwn', text: `*Approvers*\n${slackText(`${f.min_approvals} of ${f.approvers.join(', ')}`)}` },
          { type: 'mrkdwn', text: `*Expires*\n${f.expires_at}` },
        ],
      },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review and decide' }, url: f.url, style: 'primary' }] },
    ],
  };
}
