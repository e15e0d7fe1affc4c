/** A plain JSON object (not null, not an array): what `params`, `result` and policy data are. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
