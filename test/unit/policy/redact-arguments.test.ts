import assert from 'node:assert/strict';
import { parsePath, REDACTED, redactPaths } from '../../../src/policy/redact-arguments.ts';

const args = {
  name: 'Ada',
  ssn: '123-45-6789',
  card: { number: '4111111111111111', exp: '12/30' },
  contacts: [{ email: 'a@x.test', phone: '1' }, { email: 'b@x.test', phone: '2' }],
  'odd key': 'v',
};

describe('redactPaths: the decision\'s audit.redact_arguments over recorded arguments', () => {
  const cases: { name: string; paths: string[]; expect: unknown }[] = [
    { name: 'no paths: unchanged', paths: [], expect: args },
    { name: 'a top-level key', paths: ['$.ssn'], expect: { ...args, ssn: REDACTED } },
    { name: 'a nested key', paths: ['$.card.number'], expect: { ...args, card: { number: REDACTED, exp: '12/30' } } },
    { name: 'a bracketed key', paths: ["$['odd key']"], expect: { ...args, 'odd key': REDACTED } },
    { name: 'one array element', paths: ['$.contacts[1].email'], expect: { ...args, contacts: [args.contacts[0], { email: REDACTED, phone: '2' }] } },
    { name: 'every array element', paths: ['$.contacts[*].email'], expect: { ...args, contacts: [{ email: REDACTED, phone: '1' }, { email: REDACTED, phone: '2' }] } },
    { name: 'a key at any depth', paths: ['$..phone'], expect: { ...args, contacts: [{ email: 'a@x.test', phone: REDACTED }, { email: 'b@x.test', phone: REDACTED }] } },
    { name: 'every member', paths: ['$.card.*'], expect: { ...args, card: { number: REDACTED, exp: REDACTED } } },
    { name: 'a path that matches nothing', paths: ['$.missing.deeper'], expect: args },
    { name: '$ itself: the whole value', paths: ['$'], expect: REDACTED },
    { name: 'a malformed path redacts everything (fail towards recording less)', paths: ['ssn'], expect: REDACTED },
    { name: 'an unparsable segment redacts everything', paths: ['$.card[x]'], expect: REDACTED },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(redactPaths(args, c.paths), c.expect));
  }

  it('never changes the value it was given', () => {
    const copy = structuredClone(args);
    redactPaths(args, ['$.ssn', '$..email']);
    assert.deepEqual(args, copy);
  });

  it('parses the supported segment kinds', () => {
    assert.deepEqual(parsePath("$.a[0]['b'][*]..c.*"), [
      { type: 'key', key: 'a' }, { type: 'index', index: 0 }, { type: 'key', key: 'b' }, { type: 'all' }, { type: 'deep', key: 'c' }, { type: 'all' },
    ]);
  });
});
