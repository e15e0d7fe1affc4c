import assert from 'node:assert/strict';
import { RegateError } from '../../../../src/errors.ts';
import { parseProjection, projectingSerializer, type Projection } from '../../../../src/policy/projection/projection.ts';

describe('input projection: serialising only the paths a policy reads', () => {
  const serialize = projectingSerializer({ mcp: { method: true, tool: { name: true } }, principal: { groups: true } });

  it('keeps listed keys and drops the rest', () => {
    const input = {
      mcp: { method: 'tools/call', id: 7, tool: { name: 'get', arguments: { query: 'x'.repeat(100) } } },
      principal: { id: 'u', groups: ['a', 'b'] },
      http: { headers: { 'user-agent': 'x' } },
    };
    assert.deepEqual(JSON.parse(serialize(input)!), { mcp: { method: 'tools/call', tool: { name: 'get' } }, principal: { groups: ['a', 'b'] } });
  });

  it('keeps a listed value whole whatever it is, and a non-object where an object was expected', () => {
    const input = { mcp: { method: { nested: [1, { a: null }] }, tool: 'not-an-object' }, principal: ['array', 'kept'] };
    assert.deepEqual(JSON.parse(serialize(input)!), input);
  });

  it('leaves out absent and undefined members as JSON.stringify does, keeping present-but-empty objects', () => {
    assert.equal(serialize({ mcp: { method: undefined, tool: {} } }), '{"mcp":{"tool":{}}}');
    assert.equal(serialize({}), '{}');
    assert.equal(serialize({ mcp: { tool: { name: () => 1 } } }), '{"mcp":{"tool":{}}}');
  });

  it('escapes keys and values exactly as JSON.stringify', () => {
    const s = projectingSerializer({ 'we"ird\n': { '\u2028': true } });
    const input = { 'we"ird\n': { '\u2028': 'line\u2029sep "quoted"', other: 1 } };
    assert.deepEqual(JSON.parse(s(input)!), { 'we"ird\n': { '\u2028': 'line\u2029sep "quoted"' } });
  });

  it('reads only own members (never the prototype chain) and serialises objects with toJSON whole', () => {
    const s = projectingSerializer({ toString: true, at: { b: true } } as unknown as Projection);
    const date = new Date(0);
    assert.equal(s({ at: date }), `{"at":${JSON.stringify(date)}}`);
    assert.equal(s(Object.create({ toString: 'inherited' }) as object), '{}');
    const own = JSON.parse('{"__proto__": {"b": 1, "c": 2}}') as object;
    assert.equal(projectingSerializer({ __proto__: { b: true } } as never)(own), '{}', 'a literal __proto__ key in a projection object is its prototype, not a key');
    assert.equal(projectingSerializer(parseProjection(JSON.parse('{"__proto__": {"b": true}}')))(own), '{"__proto__":{"b":1}}');
  });

  it('is plain JSON.stringify without a projection', () => {
    const input = { a: 1, b: { c: [2] } };
    assert.equal(projectingSerializer(undefined)(input), JSON.stringify(input));
    assert.equal(projectingSerializer(true)(input), JSON.stringify(input));
  });

  describe('parseProjection (from a bundle manifest)', () => {
    it('accepts true and nested objects of them', () => {
      assert.deepEqual(parseProjection({ a: true, b: { c: true } }), { a: true, b: { c: true } });
    });
    for (const [name, bad] of [
      ['false', false as unknown],
      ['a string', 'a'],
      ['an array', [true]],
      ['null inside', { a: null }],
      ['a number inside', { a: { b: 1 } }],
    ] as const) {
      it(`refuses ${name} with REGATE_ERR_BUNDLE_FORMAT`, () => {
        assert.throws(() => parseProjection(bad), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_BUNDLE_FORMAT' && /input_projection is malformed/.test(e.message));
      });
    }
    it('refuses a projection nested deeper than 64 levels', () => {
      let deep: unknown = true;
      for (let i = 0; i < 70; i++) deep = { k: deep };
      assert.throws(() => parseProjection(deep), /deeper than 64/);
    });
  });
});
