/**
 * The media type of a Content-Type header: its type/subtype, lower-case, without parameters
 * (`application/json; charset=utf-8` -> `application/json`). Matching on this, never on a prefix,
 * keeps `application/json-seq` or `text/event-streamx` from passing as JSON or SSE.
 */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}
