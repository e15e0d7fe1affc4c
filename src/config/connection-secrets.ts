import type { ConnectionConfig } from './schema.ts';

const cache = new WeakMap<ConnectionConfig, readonly string[]>();

/**
 * What a connection must never let out of the gateway: its configured header values (the
 * gateway-held credential) and the credential part of `Scheme credential` values, longest first
 * so a whole "Bearer x" is replaced before its "x". Values under 4 characters are left out: they
 * would match ordinary text.
 */
export function connectionSecrets(connection: ConnectionConfig): readonly string[] {
  let out = cache.get(connection);
  if (out !== undefined) return out;
  const found: string[] = [];
  for (const value of Object.values(connection.headers)) {
    if (value.length >= 4) found.push(value);
    const space = value.indexOf(' ');
    const credential = space > 0 ? value.slice(space + 1).trim() : '';
    if (credential.length >= 4) found.push(credential);
  }
  out = [...new Set(found)].sort((a, b) => b.length - a.length);
  cache.set(connection, out);
  return out;
}
