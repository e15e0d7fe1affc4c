/**
 * Small readers for JWT claim sets. Tokens come from many issuers, so every reader is defensive:
 * a claim of the wrong type reads as absent, never as a crash or a coerced value.
 */
export type Claims = Readonly<Record<string, unknown>>;

/** Reads a claim by name or dotted path (`realm_access.roles`); a literal key with dots wins. */
export function claimAt(claims: Claims, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A non-empty string claim, or undefined. */
export function stringClaim(claims: Claims, path: string): string | undefined {
  const v = claimAt(claims, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The first non-empty string among several claims, in order. */
export function firstString(claims: Claims, paths: readonly string[]): string | undefined {
  for (const p of paths) {
    const v = stringClaim(claims, p);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * A list claim: an array keeps its non-empty strings; a string is split on spaces (OAuth `scope`
 * style), so `"a b"` and `["a","b"]` read the same. Anything else reads as an empty list.
 */
export function listClaim(claims: Claims, path: string): string[] {
  const v = claimAt(claims, path);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  if (typeof v === 'string') return v.split(' ').filter((x) => x !== '');
  return [];
}

/** A NumericDate claim (seconds since the epoch), or undefined. */
export function numericClaim(claims: Claims, path: string): number | undefined {
  const v = claimAt(claims, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
