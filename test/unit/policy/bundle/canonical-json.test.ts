import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RegateError } from '../../../../src/errors.ts';
import { canonicalJson, goQuote, structuredText } from '../../../../src/policy/bundle/canonical-json.ts';
import { fileDigest } from '../../../../src/policy/bundle/verify.ts';

describe("policy bundles: OPA's canonical JSON for signature digests", () => {
  const canonical: [name: string, input: string, expected: string][] = [
    ['drops whitespace', ' { "a" : [ 1 , 2 ] } ', '{"a":[1,2]}'],
    ['sorts keys', '{"b":1,"a":2,"c":{"z":0,"y":1}}', '{"a":2,"b":1,"c":{"y":1,"z":0}}'],
    ['keeps number literals exactly as written (json.Number)', '[1.50, 1e3, 1E+3, -0, 0.10, 12345678901234567890]', '[1.50,1e3,1E+3,-0,0.10,12345678901234567890]'],
    ['keeps the last of repeated keys', '{"a":1,"a":2}', '{"a":2}'],
    ['unescapes what need not be escaped', '"\\u0041\\/\\u00e9"', '"A/é"'],
    ['does not escape HTML characters', '"<a>&amp;"', '"<a>&amp;"'],
    ['uses Go short escapes for control characters', '"\\b\\f\\n\\r\\t\\u0001\\u001f"', '"\\b\\f\\n\\r\\t\\u0001\\u001f"'],
    ['escapes U+2028 and U+2029 as Go does', '"\u2028\\u2029"', '"\\u2028\\u2029"'],
    ['sorts keys by UTF-8 bytes, not UTF-16 units', '{"\uffef":1,"😀":2,"é":3}', '{"é":3,"\uffef":1,"😀":2}'],
    ['keeps literals', '[true,false,null,{},[]]', '[true,false,null,{},[]]'],
  ];
  for (const [name, input, expected] of canonical) {
    it(name, () => assert.equal(canonicalJson(input), expected));
  }

  const invalid: [name: string, input: string][] = [
    ['trailing data', '{} {}'],
    ['a trailing comma', '[1,]'],
    ['a leading zero', '01'],
    ['a raw control character in a string', '"a\u0001"'],
    ['a bad escape', '"\\x"'],
    ['single quotes', "{'a':1}"],
    ['nothing', ''],
  ];
  for (const [name, input] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => canonicalJson(input, 'data.json'), (err: unknown) => {
        assert.ok(err instanceof RegateError);
        assert.equal(err.code, 'REGATE_ERR_BUNDLE_FORMAT');
        assert.match(err.message, /data\.json is not valid JSON/);
        return true;
      });
    });
  }

  it('quotes strings like encoding/json with HTML escaping off', () => {
    assert.equal(goQuote('say "hi"\\'), '"say \\"hi\\"\\\\"');
  });

  it('strips a UTF-8 byte order mark before parsing', () => {
    assert.equal(structuredText(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), '{}');
  });

  it('hashes structured files in canonical form and other files byte for byte', () => {
    const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
    assert.equal(fileDigest('data.json', Buffer.from('{ "b": 1, "a": 2 }'), 'SHA-256'), sha('{"a":2,"b":1}'));
    assert.equal(fileDigest('x/.manifest', Buffer.from('{"revision": "r"}'), 'SHA-256'), sha('{"revision":"r"}'));
    assert.equal(fileDigest('policy.wasm', Buffer.from('{ "b": 1 }'), 'SHA-256'), sha('{ "b": 1 }'));
    // data.yml is not a structured document for OPA (only data.yaml is): hashed as bytes.
    assert.equal(fileDigest('data.yml', Buffer.from('a: 1'), 'SHA-256'), sha('a: 1'));
    assert.equal(fileDigest('policy.wasm', Buffer.from('x'), 'SHA-512'), createHash('sha512').update('x').digest('hex'));
  });
});
