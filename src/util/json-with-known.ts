/**
 * `JSON.stringify(obj)` for a plain object when the JSON of some of its values is already known
 * (a transcript event's arguments, params or content, serialized while they were bounded): those
 * values are not serialized again. The text is exactly what `JSON.stringify(obj)` writes: the other
 * keys are serialized in runs, in the object's own key order.
 */

/** A value whose JSON is known; used only while the object still holds that very value. */
export interface KnownJson {
  readonly value: unknown;
  readonly json: string;
}

/** The object's JSON, reusing `known[key].json` for each key that still holds `known[key].value`. */
export function jsonWithKnown(obj: Readonly<Record<string, unknown>>, known: Readonly<Record<string, KnownJson | undefined>>): string {
  if (typeof obj['toJSON'] === 'function') return JSON.stringify(obj);
  let out = '';
  // Null-prototype: a client's own `__proto__` key must stay a key, not set a prototype.
  let run: Record<string, unknown> | undefined;
  const flush = () => {
    if (run === undefined) return;
    const json = JSON.stringify(run);
    run = undefined;
    if (json.length > 2) out += (out.length > 0 ? ',' : '') + json.slice(1, -1);
  };
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    const k = Object.hasOwn(known, key) ? known[key] : undefined;
    if (k !== undefined && k.value === value && value !== undefined) {
      flush();
      out += `${out.length > 0 ? ',' : ''}${JSON.stringify(key)}:${k.json}`;
    } else {
      (run ??= Object.create(null) as Record<string, unknown>)[key] = value;
    }
  }
  flush();
  return `{${out}}`;
}
