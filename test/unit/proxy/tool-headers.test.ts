import assert from 'node:assert/strict';
import { buildConfig } from '../../../src/config/load.ts';
import { learnToolHeaders, toolHeadersOf } from '../../../src/proxy/tool-headers.ts';

const connections = buildConfig(
  { connections: [{ name: 'a', url: 'http://127.0.0.1:1/mcp' }, { name: 'b', url: 'http://127.0.0.1:2/mcp' }] },
  {},
).connections;
const [a, b] = [connections[0]!, connections[1]!];
const regional = { name: 'regional-echo', inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } } } };

describe('x-mcp-header parameters learned from the upstream\'s tools/list, per connection', () => {
  it('knows a listed tool\'s parameters, a listed tool without any, and nothing of an unlisted one', () => {
    learnToolHeaders(a, { tools: [regional, { name: 'echo', inputSchema: { type: 'object' } }] });
    const lookup = toolHeadersOf(a);
    assert.deepEqual(lookup('regional-echo'), [{ path: ['region'], headerName: 'Region', type: 'string' }]);
    assert.deepEqual(lookup('echo'), []);
    assert.equal(lookup('never-listed'), undefined);
  });

  it('keeps each connection\'s tools apart', () => {
    learnToolHeaders(a, { tools: [regional] });
    assert.equal(toolHeadersOf(b)('regional-echo'), undefined);
  });

  it('stays bounded: past 10,000 tools the least recently listed is forgotten', () => {
    learnToolHeaders(b, { tools: [regional] });
    learnToolHeaders(b, { tools: Array.from({ length: 10_000 }, (_, i) => ({ name: `t${i}`, inputSchema: { type: 'object' } })) });
    assert.equal(toolHeadersOf(b)('regional-echo'), undefined);
    assert.deepEqual(toolHeadersOf(b)('t9999'), []);
  });
});
