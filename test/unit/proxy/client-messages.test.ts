import assert from 'node:assert/strict';
import pino from 'pino';
import { buildConfig } from '../../../src/config/load.ts';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import { decideClientMessages } from '../../../src/proxy/client-messages.ts';
import type { ExchangeContext, MessageHook } from '../../../src/proxy/hook.ts';
import { noMetrics } from '../../../src/proxy/metrics.ts';

const connection = buildConfig({ connections: [{ name: 'crm', url: 'http://127.0.0.1:1/mcp' }] }, {}).connections[0]!;
const ctx: ExchangeContext = {
  requestId: 'r1',
  connection,
  sessionId: 's1',
  http: { method: 'POST', path: '/mcp/crm', remoteAddress: '127.0.0.1', headers: {} },
  principal: { id: 'alice' },
};
const logs = { log: pino({ level: 'silent' }) };

describe('client messages: deciding what goes upstream', () => {
  const seen: string[] = [];
  const hook: MessageHook = {
    onClientMessage: async (_ctx, m) => {
      seen.push((m as { method?: string }).method ?? 'response');
      return { action: 'forward', message: m, note: { method: (m as { method?: string }).method } };
    },
    onServerMessage: async (_ctx, m) => m,
    onHttpOperation: async () => undefined,
  };
  beforeEach(() => (seen.length = 0));

  it('refuses a request that reuses the id of an earlier one in the same batch, before the hook sees it', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 1, method: 'ping' },
    ] as JSONRPCMessage[];
    const d = await decideClientMessages(ctx, batch, hook, noMetrics, logs);
    assert.deepEqual(seen, ['tools/list']);
    assert.deepEqual(d.forwarded, [batch[0]]);
    assert.equal(d.pending.get('n:1')?.message, batch[0]);
    assert.equal(d.pending.size, 1);
    const err = d.local[0] as { id: number; error: { code: number; message: string } };
    assert.equal(err.id, 1);
    assert.equal(err.error.code, -32600);
    assert.match(err.error.message, /already in use by a request still waiting for its answer; use a new id/);
  });

  it('refuses a request whose id is still in flight on the session', async () => {
    const first = await decideClientMessages(ctx, [{ jsonrpc: '2.0', id: 'a', method: 'tools/list' } as JSONRPCMessage], hook, noMetrics, logs);
    const second = await decideClientMessages(ctx, [{ jsonrpc: '2.0', id: 'a', method: 'ping' } as JSONRPCMessage], hook, noMetrics, logs, first.pending);
    assert.deepEqual(second.forwarded, []);
    assert.equal(second.local.length, 1);
  });

  it('lets notifications and responses through whatever their ids', async () => {
    const msgs = [
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'x' } },
      { jsonrpc: '2.0', id: 3, result: {} },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ] as JSONRPCMessage[];
    const d = await decideClientMessages(ctx, msgs, hook, noMetrics, logs);
    assert.equal(d.forwarded.length, 3);
    assert.equal(d.local.length, 0);
  });
});
