/**
 * Caps text that came from the network before regate echoes it into a log line or an error body:
 * a 1 MB method name must not become a 1 MB log line (or two). One helper, one marker, so every
 * truncated value looks the same wherever it shows.
 */

/** Characters of a network-supplied value regate echoes before truncating it. */
export const ECHO_LIMIT = 200;

/** `value` unchanged when short, else its first `max` characters and a marker saying how much was cut. */
export function capText(value: string, max: number = ECHO_LIMIT): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}...[${value.length - max} more characters]`;
}
