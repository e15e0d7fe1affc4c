import assert from 'node:assert/strict';
import { Metrics } from '../../../src/http/metrics.ts';
import type { ComponentStatus } from '../../../src/components/component.ts';

describe('metrics: message counts by method', () => {
  it('labels protocol methods by name and anything else as "other", however many names a client invents', async () => {
    const m = new Metrics();
    m.message('crm', 'client', 'tools/call');
    m.message('crm', 'server', 'response');
    for (let i = 0; i < 50; i++) m.message('crm', 'client', `made/up${i}`);
    const text = await m.registry.metrics();
    assert.match(text, /regate_mcp_messages_total\{connection="crm",direction="client",method="tools\/call"\} 1/);
    assert.match(text, /regate_mcp_messages_total\{connection="crm",direction="server",method="response"\} 1/);
    assert.match(text, /regate_mcp_messages_total\{connection="crm",direction="client",method="other"\} 50/);
    assert.doesNotMatch(text, /made\/up/);
  });
});

describe('metrics: component states', () => {
  it('reports each component as 1 for its current state and 0 for the others, read at scrape time', async () => {
    const m = new Metrics();
    const states: Record<string, ComponentStatus> = { policy: { state: 'OK' }, store: { state: 'DEGRADED', message: 'subscriber down' } };
    m.watchComponents(() => ({ ready: true, degraded: true, components: { ...states } }));
    let text = await m.registry.metrics();
    assert.match(text, /regate_component_state\{component="policy",state="OK"\} 1/);
    assert.match(text, /regate_component_state\{component="policy",state="DEGRADED"\} 0/);
    assert.match(text, /regate_component_state\{component="store",state="DEGRADED"\} 1/);
    assert.match(text, /regate_component_state\{component="store",state="OK"\} 0/);
    assert.match(text, /regate_component_state\{component="store",state="ERROR"\} 0/);
    assert.match(text, /regate_component_state\{component="store",state="NOT_READY"\} 0/);
    states.store = { state: 'ERROR' };
    text = await m.registry.metrics();
    assert.match(text, /regate_component_state\{component="store",state="ERROR"\} 1/);
    assert.match(text, /regate_component_state\{component="store",state="DEGRADED"\} 0/);
  });

  it('reports no component series before components are watched', async () => {
    const text = await new Metrics().registry.metrics();
    assert.doesNotMatch(text, /regate_component_state\{/);
  });
});
