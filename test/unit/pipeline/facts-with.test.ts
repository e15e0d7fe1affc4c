import assert from 'node:assert/strict';
import type { ExchangeFacts } from '../../../src/pipeline/call-record.ts';
import { factsWith } from '../../../src/pipeline/facts-with.ts';

describe('factsWith: a copy of an exchange\'s facts with some fields replaced', () => {
  /** Facts whose signal, like the app's, is made on first use; counts how often it was made. */
  const lazyFacts = () => {
    let made = 0;
    let signal: AbortSignal | undefined;
    const facts = {
      requestId: 'r1',
      sessionId: undefined,
      era: '2025',
      protocolVersion: undefined,
      get signal() {
        made++;
        return (signal ??= new AbortController().signal);
      },
    } as unknown as ExchangeFacts;
    return { facts, made: () => made };
  };

  it('replaces a lazy signal without making it (an object spread would)', () => {
    const { facts, made } = lazyFacts();
    const other = new AbortController().signal;
    const copy = factsWith(facts, { sessionId: 's', signal: other });
    assert.equal(made(), 0);
    assert.equal(copy.signal, other);
    assert.equal(copy.sessionId, 's');
    assert.equal(copy.requestId, 'r1');
  });

  it('keeps a lazy signal it does not replace lazy, and the same as the original\'s', () => {
    const { facts, made } = lazyFacts();
    const copy = factsWith(facts, { sessionId: 's' });
    assert.equal(made(), 0);
    assert.equal(copy.signal, facts.signal);
  });

  it('leaves the copy\'s own fields writable (the parse step sets the era)', () => {
    const copy = factsWith(lazyFacts().facts, { sessionId: 's' });
    copy.era = '2026';
    assert.equal(copy.era, '2026');
  });
});
