import assert from 'node:assert/strict';
import { modernToolsCall } from '../../../scripts/bench/http-load.ts';
import { checkClientMcpHeaders } from '../../../src/mcp/mcp-headers.ts';
import { classifyEra } from '../../../src/mcp/era.ts';

describe('the proxy benchmark\'s 2026-era calls look like a v2 client\'s', () => {
  const { params, headers } = modernToolsCall({ name: 'get_customer', arguments: { id: 'cus_001' } }, { authorization: 'Bearer t' });
  const message = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: params as Record<string, unknown> };

  it('carries the _meta envelope, so the body is the 2026 era', () => {
    const era = classifyEra({ httpMethod: 'POST', body: message, protocolVersionHeader: headers['mcp-protocol-version'] });
    assert.equal(era.era, '2026');
    assert.equal(era.protocolVersion, '2026-07-28');
  });

  it('sends the headers that mirror its body (regate would refuse anything else), keeping the caller\'s', () => {
    assert.equal(checkClientMcpHeaders(message as never, headers, () => undefined), undefined);
    assert.equal(headers.authorization, 'Bearer t');
    assert.equal(headers['mcp-name'], 'get_customer');
  });
});
