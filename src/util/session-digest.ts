/**
 * The SHA-256 (base64url) that stands for a session id in store keys, the same on every replica.
 * Every request of a session repeats its id and two stages key the store by this digest (session
 * binding, the policy's call count), so the last ids' digests are remembered: one digest per
 * session instead of two per request.
 */
import { hash } from 'node:crypto';

const MAX_REMEMBERED = 10_000;
/** Longer ids are hashed every time, never kept: made-up ids cannot make the map hold much. */
const MAX_REMEMBERED_ID = 256;
const remembered = new Map<string, string>();

/** `sha256(sessionId)` as base64url. */
export function sessionDigest(sessionId: string): string {
  if (sessionId.length > MAX_REMEMBERED_ID) return hash('sha256', sessionId, 'base64url');
  let digest = remembered.get(sessionId);
  if (digest === undefined) {
    // Forget all at once when full: simpler than an LRU, and a miss only costs one hash.
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    digest = hash('sha256', sessionId, 'base64url');
    remembered.set(sessionId, digest);
  }
  return digest;
}
