/**
 * Keeps one recorded value (content, arguments, params) within `audit.max_content_bytes` without
 * ever dropping it: a value whose JSON is larger is replaced by the head of that JSON and a marker
 * naming its full size and SHA-256, so an auditor can still match it against the original.
 */
import { createHash } from 'node:crypto';

export interface Bounded {
  readonly value: unknown;
  /** Size of the value's JSON in bytes. */
  readonly bytes: number;
  /** The value's JSON when it was kept whole (so a caller need not serialize it again). */
  readonly json?: string;
  /** Set when the value was truncated: SHA-256 (hex) of its full JSON. */
  readonly sha256?: string;
}

/** The marker that ends a truncated value; stable so that queries can find truncated rows. */
export function truncationMarker(bytes: number, sha256: string): string {
  return `…[truncated by regate: ${bytes} bytes, sha256 ${sha256}]`;
}

/** Cuts a UTF-8 buffer at `max` bytes without splitting a character. */
function utf8Head(buf: Buffer, max: number): string {
  let end = Math.min(max, buf.length);
  // Step back over continuation bytes (10xxxxxx) so a multi-byte character is never cut.
  while (end > 0 && end < buf.length && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/**
 * The value as is when its JSON fits in `maxBytes`, otherwise its head and the marker. `known` is
 * the value's JSON when the caller already has it (it is not serialized again).
 */
export function boundValue(value: unknown, maxBytes: number, known?: string): Bounded {
  if (value === undefined) return { value, bytes: 0 };
  const json = known ?? JSON.stringify(value) ?? 'null';
  // Cheap exit: a string of n UTF-16 units is at most 3n UTF-8 bytes.
  if (json.length * 3 <= maxBytes) return { value, bytes: Buffer.byteLength(json), json };
  const buf = Buffer.from(json, 'utf8');
  if (buf.length <= maxBytes) return { value, bytes: buf.length, json };
  const sha256 = createHash('sha256').update(buf).digest('hex');
  return { value: utf8Head(buf, maxBytes) + truncationMarker(buf.length, sha256), bytes: buf.length, sha256 };
}
