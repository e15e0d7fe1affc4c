import assert from 'node:assert/strict';
import {
  JSONRPCErrorResponseSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResultResponseSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { idKey, kindOf, parseJsonRpcBody, validateMessage } from '../../../src/mcp/jsonrpc.ts';
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

  // validateMessage skips the SDK schema for messages its structural check accepts; it must accept
  // exactly what the SDK's schemas accept, no more.
  const sdkAccepts = (m: Record<string, unknown>): boolean => {
    if (m.jsonrpc !== '2.0') return false;
    if ('method' in m) return ('id' in m ? JSONRPCRequestSchema : JSONRPCNotificationSchema).safeParse(m).success;
    if ('error' in m) return JSONRPCErrorResponseSchema.safeParse(m.id === null ? { ...m, id: undefined } : m).success;
    return JSONRPCResultResponseSchema.safeParse(m).success;
  };
  const related = 'io.modelcontextprotocol/related-task';
  const edge: ReadonlyArray<Record<string, unknown>> = [
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { a: [1, { b: null }] } } },
    { jsonrpc: '2.0', id: 'x', method: 'm' },
    { jsonrpc: '2.0', id: 1.5, method: 'm' },
    { jsonrpc: '2.0', id: 2 ** 53, method: 'm' },
    { jsonrpc: '2.0', id: -3, method: 'm' },
    { jsonrpc: '2.0', id: null, method: 'm' },
    { jsonrpc: '2.0', id: true, method: 'm' },
    { jsonrpc: '2.0', id: [1], method: 'm' },
    { jsonrpc: '2.0', id: 1, method: 'm', params: [] },
    { jsonrpc: '2.0', id: 1, method: 'm', params: null },
    { jsonrpc: '2.0', id: 1, method: 'm', params: 'p' },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: null } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: [] } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { progressToken: 'p', other: 1 } } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { progressToken: 1.5 } } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { progressToken: null } } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { [related]: { taskId: 't' } } } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { [related]: { taskId: 1 } } } },
    { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { [related]: null } } },
    { jsonrpc: '2.0', id: 1, method: 'm', extra: 1 },
    { jsonrpc: '2.0', id: 1, method: 'm', result: {} },
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 0.5 } },
    { jsonrpc: '2.0', method: 7 },
    { jsonrpc: '2.0', method: 'n', error: { code: 1, message: 'x' } },
    { jsonrpc: '2.0', id: 1, result: { content: [] } },
    { jsonrpc: '2.0', id: 1, result: [] },
    { jsonrpc: '2.0', id: 1, result: null },
    { jsonrpc: '2.0', id: 1, result: { _meta: { progressToken: {} } } },
    { jsonrpc: '2.0', result: {} },
    { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } },
    { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x', data: { any: 'thing' } } },
    { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'x' } },
    { jsonrpc: '2.0', id: 1, error: { code: 1 } },
    { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x', extra: true } },
    { jsonrpc: '2.0', id: 1, error: [] },
    { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } },
    { jsonrpc: '2.0', error: { code: -32700, message: 'x' } },
    { jsonrpc: '2.0', id: 1 },
    { jsonrpc: '2.0' },
    JSON.parse('{"jsonrpc":"2.0","id":1,"method":"m","__proto__":{"x":1}}') as Record<string, unknown>,
  ];
  for (const m of edge) {
    it(`accepts exactly what the SDK schemas accept: ${JSON.stringify(m)}`, () => {
      let accepted = true;
      try {
        validateMessage(m, 'message');
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'REGATE_ERR_INVALID_REQUEST');
        accepted = false;
      }
      assert.equal(accepted, sdkAccepts(m));
    });
  }
});

describe('JSON depth scan', () => {
  it('ignores brackets inside strings, including escaped quotes', () => {
    assert.equal(jsonDepthExceeds('{"a":"[[[[[[\\"[[[["}', 2), false);
  });
  it('ends a string only at a quote not escaped by an odd run of backslashes', () => {
    assert.equal(jsonDepthExceeds('{"a":"\\\\"}', 1), false); // "\\\\" ends at its last quote
    assert.equal(jsonDepthExceeds('{"a":"\\\\",[[', 2), true); // ... so the brackets after it count
    assert.equal(jsonDepthExceeds('{"a":"\\\\\\"[[', 2), false); // \\\\\\" escapes the quote: still in the string
    assert.equal(jsonDepthExceeds('{"a":"[[[', 2), false); // unterminated: left to JSON.parse
  });
  it('agrees with a character-by-character scan on random JSON-ish text', () => {
    const slow = (text: string, max: number) => {
      let depth = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') {
          if (++depth > max) return true;
        } else if (c === '}' || c === ']') depth--;
      }
      return false;
    };
    const alphabet = ['{', '}', '[', ']', '"', '\\', 'a', ':', ','];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 3000; n++) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      for (const max of [1, 2, 4]) assert.equal(jsonDepthExceeds(text, max), slow(text, max), `${text} @${max}`);
    }
  });
  it('counts objects and arrays alike', () => {
    assert.equal(jsonDepthExceeds('{"a":[{"b":[1]}]}', 3), true);
    assert.equal(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4), false);
  });
});
