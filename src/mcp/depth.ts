/**
 * Maximum nesting depth of a JSON text, found by one linear scan before JSON.parse, so that a
 * hostile `[[[[...` body is refused cheaply instead of exhausting the parser or later walkers
 * (policy input building, masking) that recurse over the value.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote (the one not escaped by an odd run of backslashes): strings are
      // most of a message's bytes and their brackets do not count. An unterminated string ends
      // the scan; JSON.parse refuses the text right after.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j === -1) return false;
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 0x5c /* \ */) backslashes++;
        if ((backslashes & 1) === 0) break;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
