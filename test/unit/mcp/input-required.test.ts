import assert from 'node:assert/strict';
import { isInputRequiredResult } from '@modelcontextprotocol/client';
import {
  applyInputRequestVerdicts,
  decideInputRequests,
  inputRequestsOf,
  isInputRequired,
  markPrivate,
  requestStateDigest,
  withRequestStateDigest,
  type InputRequestVerdict,
} from '../../../src/mcp/input-required.ts';
import { V2, captureTypicalV2Session, exchangesFor, resultOf, type CapturedExchange } from '../../helpers/v2-peers.ts';

/**
 * input_required results (MCP 2026-07-28 multi round-trip requests): each embedded request is
 * decided like a 2025 server->client request; refused ones go, and with none left the client gets
 * a refusal it can act on. requestState passes untouched and is logged only as a digest.
 * cacheScope "private" marks what regate filtered or masked. Built from a real v2 session.
 */
describe('MCP 2026-07-28 input_required and caching hints', () => {
  let traffic: CapturedExchange[];
  let asked: Record<string, unknown>;
  before(async () => {
    traffic = await captureTypicalV2Session();
    asked = resultOf(exchangesFor(traffic, 'tools/call', (p) => p.name === V2.elicitationTool && p.requestState === undefined)[0]!);
  });

  /** The captured result with a second (sampling) request beside the elicitation. */
  const twoRequests = () => ({
    ...asked,
    inputRequests: {
      ...(asked.inputRequests as Record<string, unknown>),
      summary: { method: 'sampling/createMessage', params: { messages: [], maxTokens: 10 } },
    },
  });

  it('reads the embedded requests of a real input_required result as server->client requests', () => {
    assert.equal(isInputRequired(asked), true);
    const entries = inputRequestsOf(asked);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.key, 'confirm');
    assert.equal(entries[0]!.method, 'elicitation/create');
    assert.equal(entries[0]!.params?.message, 'Confirm deploy?');
  });

  it('finds nothing to decide in a complete result', () => {
    const complete = resultOf(exchangesFor(traffic, 'tools/call', (p) => p.name === V2.echoTool)[0]!);
    assert.equal(isInputRequired(complete), false);
    assert.deepEqual(inputRequestsOf(complete), []);
  });

  const allow: InputRequestVerdict = { allow: true };
  const deny = (reason: string): InputRequestVerdict => ({ allow: false, reason });
  const cases: ReadonlyArray<{ name: string; result: () => Record<string, unknown>; verdicts: Record<string, InputRequestVerdict>; expect: 'unchanged' | 'filtered' | 'refused'; kept?: string[] }> = [
    { name: 'everything allowed', result: () => asked, verdicts: { confirm: allow }, expect: 'unchanged', kept: ['confirm'] },
    { name: 'the only request refused', result: () => asked, verdicts: { confirm: deny('elicitation is not allowed on this connection') }, expect: 'refused' },
    { name: 'one of two refused', result: twoRequests, verdicts: { confirm: allow, summary: deny('sampling is not allowed') }, expect: 'filtered', kept: ['confirm'] },
    { name: 'both refused', result: twoRequests, verdicts: { confirm: deny('no elicitation'), summary: deny('no sampling') }, expect: 'refused' },
    { name: 'a request without a verdict (refused, never waved through)', result: twoRequests, verdicts: { confirm: allow }, expect: 'filtered', kept: ['confirm'] },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expect}`, () => {
      const result = c.result();
      const outcome = applyInputRequestVerdicts(result, new Map(Object.entries(c.verdicts)));
      assert.equal(outcome.kind, c.expect);
      if (outcome.kind === 'refused') {
        assert.equal(outcome.error.code, 'REGATE_ERR_POLICY_DENIED');
        for (const r of outcome.refused) assert.ok(outcome.error.message.includes(r.reason), outcome.error.message);
        return;
      }
      if (outcome.kind === 'unchanged') assert.equal(outcome.result, result);
      assert.deepEqual(Object.keys(outcome.result.inputRequests as object), c.kept);
      assert.equal(outcome.result.requestState, asked.requestState, 'requestState passes through unchanged');
      // What regate forwards is still an input_required result the v2 client recognises.
      assert.equal(isInputRequiredResult(outcome.result), true);
    });
  }

  it('decides each entry in the server\'s order with the given decision function', async () => {
    const seen: string[] = [];
    const outcome = await decideInputRequests(twoRequests(), (e) => {
      seen.push(`${e.key}:${e.method}`);
      return e.method === 'sampling/createMessage' ? deny('no sampling') : allow;
    });
    assert.deepEqual(seen, ['confirm:elicitation/create', 'summary:sampling/createMessage']);
    assert.equal(outcome.kind, 'filtered');
  });

  describe('requestState in logs', () => {
    const state = 'confirm-action:deploy with a secret-ish payload';
    it('is a digest that names neither the state nor a part of it', () => {
      const d = requestStateDigest(state);
      assert.match(d, /^sha256:[0-9a-f]{16} \(\d+ chars\)$/);
      assert.ok(!d.includes('deploy'));
      assert.equal(requestStateDigest(state), d, 'stable, so rounds can be correlated');
      assert.notEqual(requestStateDigest(`${state}!`), d);
    });
    it('is replaced in a copy of a retry\'s params; the forwarded params stay byte for byte', () => {
      const retry = exchangesFor(traffic, 'tools/call', (p) => p.requestState !== undefined)[0]!;
      const params = (retry.body as { params: Record<string, unknown> }).params;
      const before = JSON.stringify(params);
      const logged = withRequestStateDigest(params);
      assert.equal(logged.requestState, requestStateDigest(params.requestState as string));
      assert.equal(JSON.stringify(params), before);
      assert.deepEqual(logged.inputResponses, params.inputResponses);
    });
  });

  describe('markPrivate', () => {
    const listing = () => resultOf(exchangesFor(traffic, 'tools/list')[0]!);
    const cases: ReadonlyArray<{ name: string; method: string; result: () => Record<string, unknown>; era: '2025' | '2026'; expect: Record<string, unknown> | 'unchanged' }> = [
      { name: 'a real 2026 tools/list', method: 'tools/list', result: listing, era: '2026', expect: { cacheScope: 'private', ttlMs: 0 } },
      { name: 'a listing the upstream called public for a minute', method: 'tools/list', result: () => ({ ...listing(), cacheScope: 'public', ttlMs: 60_000 }), era: '2026', expect: { cacheScope: 'private', ttlMs: 60_000 } },
      { name: 'a server/discover result', method: 'server/discover', result: () => resultOf(exchangesFor(traffic, 'server/discover')[0]!), era: '2026', expect: { cacheScope: 'private', ttlMs: 0 } },
      { name: 'a resources/read without ttlMs', method: 'resources/read', result: () => ({ contents: [], resultType: 'complete' }), era: '2026', expect: { cacheScope: 'private', ttlMs: 0 } },
      { name: 'a tools/call (not cacheable: no cache fields)', method: 'tools/call', result: () => ({ content: [], resultType: 'complete' }), era: '2026', expect: 'unchanged' },
      { name: 'an input_required resources/read', method: 'resources/read', result: () => ({ resultType: 'input_required', requestState: 's' }), era: '2026', expect: 'unchanged' },
      { name: 'a 2025 tools/list (no caching hints in that era)', method: 'tools/list', result: () => ({ tools: [] }), era: '2025', expect: 'unchanged' },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expect === 'unchanged' ? 'unchanged' : 'private'}`, () => {
        const result = c.result();
        const marked = markPrivate(c.method, result, c.era);
        if (c.expect === 'unchanged') return assert.equal(marked, result);
        assert.equal(marked.cacheScope, c.expect.cacheScope);
        assert.equal(marked.ttlMs, c.expect.ttlMs);
        const { cacheScope: _a, ttlMs: _b, ...rest } = marked;
        const { cacheScope: _c, ttlMs: _d, ...restBefore } = result;
        assert.deepEqual(rest, restBefore, 'nothing else changes');
      });
    }
  });
});
