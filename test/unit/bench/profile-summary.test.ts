import assert from 'node:assert/strict';
import { areaOf, summarize } from '../../../scripts/bench/profile-summary.ts';

describe('the CPU profile summary', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('evaluate', 'file:///w/src/policy/engine.ts') },
      { id: 4, callFrame: frame('write', 'file:///w/node_modules/pino/lib/proto.js') },
      { id: 5, callFrame: frame('(garbage collector)', '') },
      { id: 6, callFrame: frame('writeHead', 'node:_http_server') },
    ],
    samples: [2, 3, 3, 4, 5, 6, 3],
    timeDeltas: [5000, 100, 100, 50, 25, 25, 100],
  };

  it('charges each sample’s time to the function sampled, by function and by area', () => {
    const s = summarize(profile);
    assert.equal(s.totalMs, 5.4);
    assert.equal(s.busyMs, 0.4);
    assert.deepEqual(s.byArea, [
      { name: '(idle)', ms: 5 },
      { name: 'src/policy', ms: 0.3 },
      { name: 'pino', ms: 0.05 },
      { name: '(garbage collector)', ms: 0.025 },
      { name: 'node:internal', ms: 0.025 },
    ]);
    assert.deepEqual(s.byFunction[1], { name: 'evaluate src/policy/engine.ts:10', ms: 0.3 });
  });

  it('names areas by regate folder, npm package (scoped too) and Node internals', () => {
    assert.deepEqual(
      [
        areaOf(frame('f', 'file:///w/src/proxy/relay.ts')),
        areaOf(frame('f', 'file:///w/node_modules/@open-policy-agent/opa-wasm/dist/x.js')),
        areaOf(frame('f', 'node:events')),
        areaOf(frame('(program)', '')),
        areaOf(frame('eval', 'wasm://wasm/opa.wasm-000a72ba')),
      ],
      ['src/proxy', '@open-policy-agent/opa-wasm', 'node:internal', '(program)', 'wasm (the policy)'],
    );
  });
});
