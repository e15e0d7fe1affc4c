import assert from 'node:assert/strict';
import { GATEWAY_SECRET_MARK, scrubSecrets } from '../../../src/masking/gateway-secrets.ts';

const SECRETS = ['Bearer GATEWAY-SECRET-123', 'GATEWAY-SECRET-123'];

describe("the gateway's own credential never leaves in an upstream message", () => {
  const cases: ReadonlyArray<{ name: string; value: unknown; expected: unknown; count: number }> = [
    { name: 'a string holding the whole header value', value: 'auth was Bearer GATEWAY-SECRET-123.', expected: `auth was ${GATEWAY_SECRET_MARK}.`, count: 1 },
    { name: 'the bare credential, twice', value: 'GATEWAY-SECRET-123/GATEWAY-SECRET-123', expected: `${GATEWAY_SECRET_MARK}/${GATEWAY_SECRET_MARK}`, count: 2 },
    {
      name: 'deep in a result and in an object key',
      value: { result: { content: [{ type: 'text', text: 'echo: GATEWAY-SECRET-123' }], meta: { 'GATEWAY-SECRET-123': 1 } } },
      expected: { result: { content: [{ type: 'text', text: `echo: ${GATEWAY_SECRET_MARK}` }], meta: { [GATEWAY_SECRET_MARK]: 1 } } },
      count: 2,
    },
    { name: 'an error message', value: { error: { code: -32603, message: 'db refused; request auth was Bearer GATEWAY-SECRET-123' } }, expected: { error: { code: -32603, message: `db refused; request auth was ${GATEWAY_SECRET_MARK}` } }, count: 1 },
    { name: 'nothing to remove', value: { result: { n: 1, s: 'GATEWAY-SECRET' } }, expected: { result: { n: 1, s: 'GATEWAY-SECRET' } }, count: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = scrubSecrets(c.value, SECRETS);
      assert.deepEqual(r.value, c.expected);
      assert.equal(r.count, c.count);
    });
  }

  it('returns the very same object when nothing matched (no copy on the common path)', () => {
    const v = { result: { content: [{ type: 'text', text: 'fine' }] } };
    assert.equal(scrubSecrets(v, SECRETS).value, v);
  });
});
