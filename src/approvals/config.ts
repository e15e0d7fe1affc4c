/**
 * The `approvals` section. Present: a decision that carries an approval obligation holds the call
 * (or answers with an approval id, in async mode) until approvers decide. Absent: such calls are
 * refused, saying approvals are not enabled.
 *
 * approvals:
 *   mode: hold                  # or async; a policy obligation's `mode` wins
 *   timeout_seconds: 300        # how long a request waits for a decision (hold: the call stays open)
 *   max_uses: 1                 # async: how many identical calls one grant lets through
 *   recheck_seconds: 5          # a held call re-reads its approval this often (a lost wake-up only delays)
 *   justification_seconds: 120  # hold: how long the requester may take to answer the "why?" form (0: never ask)
 *   page_url: https://regate.example.com/approvals   # default: public_url (or listen) + /approvals
 *   notify: [ { type: teams, url: ... }, { type: slack, url: ... }, { type: webhook, url: ..., secret: ... } ]
 *   signin:                     # the page's OIDC sign-in (auth.provider entra or oidc): code + PKCE
 *     client_id: ...            # the app registration / OIDC client
 *     client_secret: ${REGATE_SIGNIN_SECRET}
 *     redirect_url: https://regate.example.com/approvals/callback   # default: public_url (or listen) + /approvals/callback
 *     scopes: [openid, profile, email]
 */
import { z } from 'zod';

const notifierSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16, 'at least 16 characters') }),
  z.strictObject({ type: z.literal('teams'), url: z.url({ protocol: /^https?$/ }) }),
  z.strictObject({ type: z.literal('slack'), url: z.url({ protocol: /^https?$/ }) }),
]);

/** The approval page's sign-in client; the issuer comes from `auth`. */
export const signInConfigSchema = z.strictObject({
  client_id: z.string().min(1),
  /** A secret: give it as ${ENV}. */
  client_secret: z.string().min(1),
  redirect_url: z.url({ protocol: /^https?$/ }).optional(),
  /** `openid` is always requested, whether listed or not. */
  scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
});

export const approvalsConfigSchema = z.strictObject({
  mode: z.enum(['hold', 'async']).default('hold'),
  timeout_seconds: z.number().positive().max(86_400).default(300),
  max_uses: z.number().int().min(1).max(100).default(1),
  recheck_seconds: z.number().positive().max(300).default(5),
  justification_seconds: z.number().min(0).max(3600).default(120),
  page_url: z.url({ protocol: /^https?$/ }).optional(),
  notify: z.array(notifierSchema).default([]),
  signin: signInConfigSchema.optional(),
});

export type ApprovalsConfig = z.output<typeof approvalsConfigSchema>;
export type SignInConfig = z.output<typeof signInConfigSchema>;
export type NotifierConfig = z.output<typeof notifierSchema>;
