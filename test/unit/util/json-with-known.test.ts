import assert from 'node:assert/strict';
import { jsonWithKnown } from '../../../src/util/json-with-known.ts';

describe('util: JSON of an object with some values already serialized', () => {
  const args = { id: 7, pad: 'x'.repeat(64), nested: { a: [1, 'two', null] } };
  const parsed = (text: string) => JSON.parse(text) as Record<string, unknown>;
  const table: [name: string, obj: Record<string, unknown>][] = [
    ['the known value in the middle', { name: 'get_customer', arguments: args, _meta: { progressToken: 1 } }],
    ['the known value first', { arguments: args, name: 'n' }],
    ['the known value last', { name: 'n', arguments: args }],
    ['only the known value', { arguments: args }],
    ['undefined values, skipped as JSON.stringify skips them', { a: undefined, arguments: args, b: undefined, c: 1 }],
    ['integer-like keys, which come first', parsed('{"name":"n","2":"two","arguments":{"id":7},"1":"one"}')],
    ['a client\'s own __proto__ key around the known value', parsed('{"__proto__":{"admin":true},"arguments":{"id":7},"x":1}')],
    ['strings that need escaping in keys and values', { 'quo"te': 'line\nbreak\u2028', arguments: args, 'é': '\ud83d\ude00' }],
    ['an empty object', {}],
    ['a value that looks like regate\'s placeholder before the known value', { a: '\u0000regate-known-json:0000:0', arguments: args }],
  ];
  for (const [name, obj] of table) {
    it(`writes exactly JSON.stringify's text: ${name}`, () => {
      const value = obj['arguments'];
      const known = value === undefined ? {} : { arguments: { value, json: JSON.stringify(value) } };
      const before = Object.entries(obj);
      assert.equal(jsonWithKnown(obj, known), JSON.stringify(obj));
      assert.deepEqual(Object.entries(obj), before, 'the object holds its own values again, in the same order');
      assert.equal(obj['arguments'], value);
    });
  }

  it('serializes a frozen object as it is (it cannot swap its values)', () => {
    const obj = Object.freeze({ a: 1, arguments: args });
    assert.equal(jsonWithKnown(obj, { arguments: { value: args, json: '"not used"' } }), JSON.stringify(obj));
  });

  it('puts two known values back in their own places, whatever the order they are given in', () => {
    const params = { b: 2 };
    const obj = { a: 1, arguments: args, params, z: [1] };
    const known = { params: { value: params, json: JSON.stringify(params) }, arguments: { value: args, json: JSON.stringify(args) } };
    assert.equal(jsonWithKnown(obj, known), JSON.stringify(obj));
  });

  it('uses the known text (it does not serialize that value again)', () => {
    assert.equal(jsonWithKnown({ a: 1, arguments: args }, { arguments: { value: args, json: '"was known"' } }), '{"a":1,"arguments":"was known"}');
  });

  it('ignores a known text once the key holds another value, so it can never write a stale value', () => {
    const obj = { a: 1, arguments: { id: 'new' } };
    assert.equal(jsonWithKnown(obj, { arguments: { value: args, json: JSON.stringify(args) } }), JSON.stringify(obj));
  });

  it('keeps a key named like an Object.prototype member apart from the known texts', () => {
    const obj = { toString: 'own', constructor: 1, arguments: args };
    assert.equal(jsonWithKnown(obj, { arguments: { value: args, json: JSON.stringify(args) } }), JSON.stringify(obj));
  });
});
