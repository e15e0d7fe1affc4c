/**
 * The SHA-256 (base64url) that stands for a session id in store keys, the same on every replica.
 * Every request of a session repeats its id and two stages key the store by this digest (session
 * binding, the policy's call count), so the last ids' digests are remembered: one digest per
 * session instead of two per request.
 */
import { hash } from 'node:crypto';
import { CappedMemo } from './capped-memo.ts';

const remembered = new CappedMemo((sessionId) => hash('sha256', sessionId, 'base64url'));

/** `sha256(sessionId)` as base64url. */
export function sessionDigest(sessionId: string): string {
  return remembered.get(sessionId);
}
