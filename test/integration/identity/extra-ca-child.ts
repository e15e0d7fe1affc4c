/**
 * Child process for extra-ca.test.ts: builds the identity layer exactly as production does (no
 * injected fetch, so the global fetch and its CA store are used) and authenticates one token.
 * Prints one JSON line: {ok, id} or {ok: false, code}.
 */
import { authConfigSchema } from '../../../src/identity/config.ts';
import { createIdentity } from '../../../src/identity/create.ts';
import { RegateError } from '../../../src/errors.ts';

const identity = await createIdentity(
  authConfigSchema.parse({ provider: 'oidc', issuer: process.env['ISSUER_URL'], audience: ['regate'] }),
  { publicBaseUrl: 'https://regate.test.example', logger: { warn: () => undefined } },
);
try {
  const p = await identity.authenticate({ authorization: `Bearer ${process.env['TOKEN'] ?? ''}` }, '/mcp/crm');
  process.stdout.write(`${JSON.stringify({ ok: true, id: p.id })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: err instanceof RegateError ? err.code : String(err) })}\n`);
}
