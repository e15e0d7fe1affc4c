/**
 * Form elicitation as a client declares it. `capabilities.elicitation: {}` (2025-06-18, where
 * form was the only mode) or `{form: {}}` (2025-11-25 on) says the client can show a form; a
 * client that lists only `url` cannot.
 */
import { isRecord } from '../util/is-record.ts';

/** True when `capabilities` (a client's, from `initialize` or a 2026 envelope) include form elicitation. */
export function answersForms(capabilities: unknown): boolean {
  if (!isRecord(capabilities)) return false;
  const e = capabilities.elicitation;
  if (!isRecord(e)) return false;
  return 'form' in e || !('url' in e);
}
