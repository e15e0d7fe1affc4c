import assert from 'node:assert/strict';
import { ComponentRegistry, type Component, type ComponentState } from '../../../src/components/component.ts';

function fixed(name: string, state: ComponentState): Component {
  return { name, start: async () => {}, stop: async () => {}, status: () => ({ state }) };
}

describe('components: the readiness report', () => {
  const cases: Array<{ name: string; states: ComponentState[]; ready: boolean; degraded: boolean }> = [
    { name: 'no components', states: [], ready: true, degraded: false },
    { name: 'all OK', states: ['OK', 'OK'], ready: true, degraded: false },
    { name: 'one DEGRADED: still serving, but reported', states: ['OK', 'DEGRADED'], ready: true, degraded: true },
    { name: 'one NOT_READY', states: ['OK', 'NOT_READY'], ready: false, degraded: false },
    { name: 'one ERROR', states: ['OK', 'ERROR'], ready: false, degraded: false },
    { name: 'DEGRADED and ERROR: not ready, and the degradation is still reported', states: ['DEGRADED', 'ERROR'], ready: false, degraded: true },
  ];
  for (const c of cases) {
    it(`${c.name} -> ready ${c.ready}, degraded ${c.degraded}`, () => {
      const registry = new ComponentRegistry();
      c.states.forEach((s, i) => registry.add(fixed(`c${i}`, s)));
      const report = registry.report();
      assert.equal(report.ready, c.ready);
      assert.equal(report.degraded, c.degraded);
      assert.deepEqual(Object.values(report.components).map((s) => s.state), c.states);
    });
  }
});
