import assert from 'node:assert/strict';
import type { Principal } from '../../../src/identity/principal.ts';
import { allowlistHeaders, buildPolicyInput, mcpInput, timeInput, type InputContext } from '../../../src/policy/input.ts';

const devUser: Principal = {
  type: 'user', id: 'dev-user', name: 'Dev User', tenant: 'dev', groups: ['mcp-readers'], roles: [], scopes: [],
  client_id: 'regate-dev', issuer: 'urn:regate:dev', expires_at: 1_900_000_000,
};

const context: InputContext = {
  principal: devUser,
  connection: { name: 'crm', tags: ['pii'] },
  message: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_customer', arguments: { id: 'cus_001' } } },
  session: { id: 'sess-1', calls: 3 },
  http: { method: 'POST', path: '/mcp/crm', remote_addr: '10.0.0.5', headers: { 'User-Agent': 'agent/1.0', Authorization: 'Bearer secret' } },
  now: new Date('2025-06-01T12:00:00.000Z'),
};

describe('policy input: building the input of regate/decision', () => {
  it('builds the full input of a tools/call', () => {
    assert.deepEqual(buildPolicyInput({ ...context, toolAnnotations: { readOnlyHint: true } }), {
      principal: devUser,
      connection: { name: 'crm', tags: ['pii'] },
      mcp: {
        direction: 'client_to_server',
        method: 'tools/call',
        id: 7,
        params: { name: 'get_customer' },
        tool: { name: 'get_customer', arguments: { id: 'cus_001' }, annotations: { readOnlyHint: true } },
      },
      session: { id: 'sess-1', calls: 3 },
      http: { method: 'POST', path: '/mcp/crm', remote_addr: '10.0.0.5', headers: { 'user-agent': 'agent/1.0' } },
      time: { rfc3339: '2025-06-01T12:00:00.000Z', unix_ns: 1748779200000000000 },
    });
  });

  const mcpCases: [name: string, ctx: Pick<InputContext, 'message' | 'httpOperation' | 'protocolVersion' | 'toolAnnotations' | 'client'>, expected: object][] = [
    [
      'tools/call without arguments gets empty arguments and no annotations',
      { message: { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'list_customers' } } },
      { method: 'tools/call', id: 'a', params: { name: 'list_customers' }, tool: { name: 'list_customers', arguments: {} } },
    ],
    [
      'tools/call without params has no tool',
      { message: { jsonrpc: '2.0', id: 1, method: 'tools/call' } },
      { method: 'tools/call', id: 1 },
    ],
    [
      'prompts/get names the prompt and moves its arguments',
      { message: { jsonrpc: '2.0', id: 2, method: 'prompts/get', params: { name: 'summarize_customer', arguments: { id: 'c' } } } },
      { method: 'prompts/get', id: 2, params: { name: 'summarize_customer' }, prompt: { name: 'summarize_customer', arguments: { id: 'c' } } },
    ],
    [
      'resources/read names the resource',
      { message: { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'customers://cus_001' } } },
      { method: 'resources/read', id: 3, params: { uri: 'customers://cus_001' }, resource: { uri: 'customers://cus_001' } },
    ],
    [
      'resources/subscribe names the resource',
      { message: { jsonrpc: '2.0', id: 4, method: 'resources/subscribe', params: { uri: 'demo://readme' } } },
      { method: 'resources/subscribe', id: 4, params: { uri: 'demo://readme' }, resource: { uri: 'demo://readme' } },
    ],
    [
      'initialize carries the requested protocol version',
      { message: { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {} } } },
      { method: 'initialize', id: 0, protocol_version: '2025-06-18', params: { protocolVersion: '2025-06-18', capabilities: {} } },
    ],
    [
      'a notification has no id',
      { message: { jsonrpc: '2.0', method: 'notifications/initialized' }, protocolVersion: '2025-06-18' },
      { method: 'notifications/initialized', protocol_version: '2025-06-18' },
    ],
    [
      "a client's response to a server request is rpc/response",
      { message: { jsonrpc: '2.0', id: 9, result: { roots: [] } } },
      { method: 'rpc/response', id: 9 },
    ],
    [
      'a 2026-era request carries its envelope\'s version and client (name, version, capabilities)',
      {
        message: { jsonrpc: '2.0', id: 6, method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } },
        protocolVersion: '2026-07-28',
        client: { name: 'agent', version: '2.4.0', capabilities: { elicitation: {} } },
      },
      {
        method: 'server/discover',
        id: 6,
        protocol_version: '2026-07-28',
        client: { name: 'agent', version: '2.4.0', capabilities: { elicitation: {} } },
        params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
      },
    ],
    [
      'a client that names itself without a version gets only the fields it gave',
      { message: { jsonrpc: '2.0', id: 7, method: 'tools/list' }, client: { name: 'agent', version: undefined, capabilities: {} } },
      { method: 'tools/list', id: 7, client: { name: 'agent', capabilities: {} } },
    ],
    [
      'a client that says nothing about itself gets no client object',
      { message: { jsonrpc: '2.0', id: 8, method: 'tools/list' }, client: { name: undefined, version: undefined, capabilities: undefined } },
      { method: 'tools/list', id: 8 },
    ],
    ['a GET stream is http/get_stream', { httpOperation: 'open_stream', protocolVersion: '2025-06-18' }, { method: 'http/get_stream', protocol_version: '2025-06-18' }],
    ['a session DELETE is http/delete_session', { httpOperation: 'delete_session' }, { method: 'http/delete_session' }],
    [
      'params that are not an object are left out',
      { message: { jsonrpc: '2.0', id: 5, method: 'ping', params: [1, 2] } },
      { method: 'ping', id: 5 },
    ],
  ];
  for (const [name, ctx, expected] of mcpCases) {
    // Every message is client_to_server unless said otherwise.
    it(name, () => assert.deepEqual(mcpInput(ctx), { direction: 'client_to_server', ...expected }));
  }

  it("marks a server's own request as server_to_client, with its method", () => {
    const m = { jsonrpc: '2.0', id: 'srv-1', method: 'sampling/createMessage', params: { maxTokens: 10 } };
    assert.deepEqual(mcpInput({ message: m, direction: 'server_to_client' }), {
      direction: 'server_to_client',
      method: 'sampling/createMessage',
      id: 'srv-1',
      params: { maxTokens: 10 },
    });
  });

  it('never hands credentials to policy, even when allow-listed', () => {
    const headers = { Authorization: 'Bearer x', Cookie: 'c=1', 'X-Request-Id': 'r1', Accept: ['a', 'b'], 'X-Secret': 's' };
    assert.deepEqual(allowlistHeaders(headers), { 'x-request-id': 'r1', accept: 'a, b' });
    assert.deepEqual(allowlistHeaders(headers, ['authorization', 'cookie', 'x-secret']), { 'x-secret': 's' });
  });

  it('omits the principal of an unauthenticated caller and the id of a session not yet open', () => {
    const input = buildPolicyInput({ ...context, principal: undefined, session: { id: undefined, calls: 0 } });
    assert.equal('principal' in input, false);
    assert.deepEqual(input.session, { calls: 0 });
  });

  it('passes an approval through for a re-check', () => {
    const approval = { id: 'ap-1', status: 'approved' as const, tool: 'delete_customer', approved_by: [{ id: 'alice', groups: ['mcp-approvers'] }], expires_unix_ns: 1 };
    assert.deepEqual(buildPolicyInput({ ...context, approval }).approval, approval);
  });

  const times: [name: string, now: Date | bigint, expected: { rfc3339: string; unix_ns: number }][] = [
    ['a Date', new Date('2025-01-01T00:00:00.123Z'), { rfc3339: '2025-01-01T00:00:00.123Z', unix_ns: 1735689600123000000 }],
    ['nanoseconds', 1735689600123456789n, { rfc3339: '2025-01-01T00:00:00.123Z', unix_ns: 1735689600123456789 }],
    ['the epoch', 0n, { rfc3339: '1970-01-01T00:00:00.000Z', unix_ns: 0 }],
  ];
  for (const [name, now, expected] of times) {
    it(`takes the time from ${name}`, () => assert.deepEqual(timeInput(now), expected));
  }

  it('is pure: the same context gives the same input', () => {
    assert.deepEqual(buildPolicyInput(context), buildPolicyInput(context));
  });
});
