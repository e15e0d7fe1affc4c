/**
 * `JSON.stringify(obj)` for a plain object when the JSON of some of its values is already known
 * (a transcript event's arguments, params or content, serialized while they were bounded): those
 * values are not serialized again. The object is serialized with a placeholder in each such key
 * (same key order), and each placeholder's text is then replaced by the known JSON, so the result
 * is exactly what `JSON.stringify(obj)` writes.
 */
import { randomBytes } from 'node:crypto';

/** A value whose JSON is known; used only while the object still holds that very value. */
export interface KnownJson {
  readonly value: unknown;
  readonly json: string;
}

/**
 * Placeholders carry a per-process random part, so no text from the network can contain one (the
 * first occurrence of a placeholder is always the one regate put there).
 */
const PLACEHOLDER = `\u0000regate-known-json:${randomBytes(16).toString('hex')}:`;

/** Placeholder i, and what to search for: its JSON text after the opening quote. */
const placeholders: { value: string; search: string; length: number }[] = [];
function placeholder(i: number): { value: string; search: string; length: number } {
  let p = placeholders[i];
  if (p === undefined) {
    const json = JSON.stringify(PLACEHOLDER + i);
    p = { value: PLACEHOLDER + i, search: json.slice(1), length: json.length };
    placeholders[i] = p;
  }
  return p;
}

/**
 * The object's JSON, reusing `known[key].json` for each key that still holds `known[key].value`.
 * `known`'s keys are regate's own field names (never `__proto__`). The object must be one regate
 * built and owns (an event, a params copy): its values are swapped for placeholders while it is
 * serialized and put back before this returns. (Copying it instead cost more than serializing the
 * known values again: a transcript event has too many keys for V8's fast object layout.)
 */
export function jsonWithKnown(obj: Record<string, unknown>, known: Readonly<Record<string, KnownJson | undefined>>): string {
  if (typeof obj['toJSON'] === 'function' || Object.isFrozen(obj)) return JSON.stringify(obj);
  const keys: string[] = [];
  const texts: string[] = [];
  let json: string;
  try {
    for (const key of Object.keys(known)) {
      const k = known[key];
      if (k === undefined || k.value === undefined || !Object.hasOwn(obj, key) || obj[key] !== k.value) continue;
      // Assigning an existing key keeps its place in the key order.
      obj[key] = placeholder(texts.length).value;
      keys.push(key);
      texts.push(k.json);
    }
    json = JSON.stringify(obj);
  } finally {
    for (let i = 0; i < keys.length; i++) obj[keys[i]!] = known[keys[i]!]!.value;
  }
  if (texts.length === 0) return json;
  // Find every placeholder in the text as written, then join the pieces once. The search starts at
  // the placeholder's backslash (its escaped NUL), which JSON text rarely holds: V8 finds it with a
  // plain scan, where a pattern starting with the ubiquitous quote made it build search tables.
  const found: { at: number; end: number; text: string }[] = [];
  for (let i = 0; i < texts.length; i++) {
    const p = placeholder(i);
    const at = json.indexOf(p.search) - 1;
    // Cannot happen (JSON.stringify writes a string value as it is); if it did, be exact anyway.
    if (at < 0) return JSON.stringify(obj);
    found.push({ at, end: at + p.length, text: texts[i]! });
  }
  found.sort((a, b) => a.at - b.at);
  let out = '';
  let from = 0;
  for (const f of found) {
    out += json.slice(from, f.at) + f.text;
    from = f.end;
  }
  return out + json.slice(from);
}
