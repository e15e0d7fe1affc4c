import assert from 'node:assert/strict';
import { idKey, kindOf, parseJsonRpcBody } from '../../../src/mcp/jsonrpc.ts';
import { jsonDepthExceeds } from '../../../src/mcp/depth.ts';

const limits = { maxDepth: 16, maxBatch: 3 };

describe('JSON-RPC body parsing', () => {
  const valid: ReadonlyArray<{ name: string; body: string; batch: boolean; kinds: string[] }> = [
    { name: 'a request', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', batch: false, kinds: ['request'] },
    { name: 'a request with a string id', body: '{"jsonrpc":"2.0","id":"a","method":"ping"}', batch: false, kinds: ['request'] },
    { name: 'a notification', body: '{"jsonrpc":"2.0","method":"notifications/initialized"}', batch: false, kinds: ['notification'] },
    { name: 'a response (answer to an elicitation)', body: '{"jsonrpc":"2.0","id":0,"result":{"action":"accept"}}', batch: false, kinds: ['response'] },
    { name: 'an error response with id null (parse error from a peer)', body: '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}', batch: false, kinds: ['error'] },
    { name: 'an error response', body: '{"jsonrpc":"2.0","id":5,"error":{"code":-1,"message":"no"}}', batch: false, kinds: ['error'] },
    {
      name: 'a batch (2025-03-26)',
      body: '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}]',
      batch: true,
      kinds: ['request', 'notification'],
    },
  ];
  for (const c of valid) {
    it(`accepts ${c.name}`, () => {
      const r = parseJsonRpcBody(c.body, limits);
      assert.equal(r.batch, c.batch);
      assert.deepEqual(r.messages.map(kindOf), c.kinds);
    });
  }

  it('returns the original objects, so forwarding cannot change their meaning', () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"x":1},"extra":"kept"}}';
    assert.deepEqual(parseJsonRpcBody(body, limits).messages[0], JSON.parse(body));
  });

  const invalid: ReadonlyArray<{ name: string; body: string; code: string }> = [
    { name: 'malformed JSON', body: '{"jsonrpc":', code: 'REGATE_ERR_PARSE' },
    { name: 'an empty body', body: '', code: 'REGATE_ERR_PARSE' },
    { name: 'a JSON string', body: '"hello"', code: 'REGATE_ERR_INVALID_REQUEST' },
    { name: 'a wrong jsonrpc version', body: '{"jsonrpc":"1.0","id":1,"method":"x"}', code: 'REGATE_ERR_INVALID_REQUEST' },
    { name: 'a method that is not a string', body: '{"jsonrpc":"2.0","id":1,"method":7}', code: 'REGATE_ERR_INVALID_REQUEST' },
    { name: 'an object id', body: '{"jsonrpc":"2.0","id":{},"method":"x"}', code: 'REGATE_ERR_INVALID_REQUEST' },
    { name: 'an empty batch', body: '[]', code: 'REGATE_ERR_INVALID_REQUEST' },
    { name: 'a batch over the limit', body: JSON.stringify(Array(4).fill({ jsonrpc: '2.0', method: 'x' })), code: 'REGATE_ERR_BATCH_TOO_LARGE' },
    { name: 'deep nesting', body: `{"jsonrpc":"2.0","id":1,"method":"x","params":${'['.repeat(20)}${']'.repeat(20)}}`, code: 'REGATE_ERR_TOO_DEEP' },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name} with ${c.code}`, () => assert.throws(() => parseJsonRpcBody(c.body, limits), { code: c.code }));
  }

  it('keeps numeric and string ids apart', () => assert.notEqual(idKey(1), idKey('1')));
});

describe('JSON depth scan', () => {
  it('ignores brackets inside strings, including escaped quotes', () => {
    assert.equal(jsonDepthExceeds('{"a":"[[[[[[\\"[[[["}', 2), false);
  });
  it('counts objects and arrays alike', () => {
    assert.equal(jsonDepthExceeds('{"a":[{"b":[1]}]}', 3), true);
    assert.equal(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4), false);
  });
});
