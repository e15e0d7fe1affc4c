/**
 * Names regate reserves for what it says to clients itself, so that nothing of an upstream's can
 * be mistaken for regate's (nor the reverse): the ids of regate's own requests to a client (a held
 * call's justification form) and the keys of its 2026 `inputRequests`. An upstream that uses them
 * is refused (src/enforcement/policy-stage.ts).
 */

/** Ids of the requests regate itself puts to a client start with this. */
export const REGATE_REQUEST_ID_PREFIX = 'regate-ask-';

/** Keys of regate's own `inputRequests` / `inputResponses` entries start with this. */
export const REGATE_INPUT_KEY_PREFIX = 'regate/';

/** True for an id in regate's namespace of client requests. */
export function isRegateRequestId(id: unknown): id is string {
  return typeof id === 'string' && id.startsWith(REGATE_REQUEST_ID_PREFIX);
}
