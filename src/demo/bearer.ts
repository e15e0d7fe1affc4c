/**
 * The demo upstream's credential check. The demo server plays a SaaS MCP server that only the
 * gateway holds a token for: agents talk to regate with their own identity and never see it.
 */
import { timingSafeEqual } from 'node:crypto';

/** True when an Authorization header value is exactly `Bearer <expected>` (scheme case-insensitive). */
export function isAuthorizedBearer(header: string | undefined, expected: string): boolean {
  if (header === undefined || expected === '') return false;
  const match = /^bearer[ ]+(\S+)[ ]*$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1] as string);
  const want = Buffer.from(expected);
  // Constant-time compare; the length check leaks only the length, as every such check does.
  return given.length === want.length && timingSafeEqual(given, want);
}
