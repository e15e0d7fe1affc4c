import assert from 'node:assert/strict';
import { Metrics } from '../../../src/http/metrics.ts';

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
