/**
 * The last resort for one event the ingestion service refuses as too large (413) on its own:
 * every long field is cut and every large value replaced by its size and digest, so the event still
 * arrives (same event_id: who, when, what, which decision) and the backlog behind it moves. Events
 * are bounded when they are built; this keeps a single oversized one from wedging delivery.
 */
import { createHash } from 'node:crypto';
import { capText } from '../text/cap.ts';
import type { TranscriptEvent } from './event.ts';

const MAX_TEXT = 1024;
const MAX_VALUE = 4096;

/** A copy of `event` whose every field fits in a few kilobytes. */
export function shrinkEvent(event: TranscriptEvent): TranscriptEvent {
  const out: Record<string, unknown> = {};
  const cut: string[] = [];
  for (const [k, v] of Object.entries(event)) {
    if (k === 'truncated') continue;
    if (typeof v === 'string') {
      if (v.length > MAX_TEXT) cut.push(k);
      out[k] = capText(v, MAX_TEXT);
      continue;
    }
    const json = v === undefined ? undefined : JSON.stringify(v);
    if (json !== undefined && json.length > MAX_VALUE) {
      cut.push(k);
      out[k] = `[TRUNCATED: ${Buffer.byteLength(json)} bytes, sha256 ${createHash('sha256').update(json).digest('hex')}]`;
    } else {
      out[k] = v;
    }
  }
  // `truncated` names the fields that were cut, as everywhere in the event.
  out['truncated'] = [...new Set([...(event.truncated ?? []), ...cut])];
  return out as unknown as TranscriptEvent;
}
