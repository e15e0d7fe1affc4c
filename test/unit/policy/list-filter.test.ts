import assert from 'node:assert/strict';
import type { Principal } from '../../../src/identity/principal.ts';
import { readBundle } from '../../../src/policy/bundle/read-bundle.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { buildPolicyInput } from '../../../src/policy/input.ts';
import { filterListResult, isFilteredList, probeFor, type ListProbe } from '../../../src/policy/list-filter.ts';
import { buildBundle, scratch } from '../../fixtures/policy/bundles.ts';

const principal = (id: string, groups: string[]): Principal => ({
  type: 'user', id, name: id, tenant: 'dev', groups, roles: [], scopes: [], client_id: 'dev', issuer: 'urn:regate:dev', expires_at: 0,
});

const demoTools = {
  tools: [
    { name: 'list_customers', annotations: { readOnlyHint: true } },
    { name: 'get_customer', annotations: { readOnlyHint: true } },
    { name: 'search_customers', annotations: { readOnlyHint: true } },
    { name: 'update_customer_tier', annotations: { readOnlyHint: false } },
    { name: 'delete_customer', annotations: { destructiveHint: true } },
    { name: 'export_customers_csv', annotations: { readOnlyHint: true } },
  ],
  nextCursor: 'page-2',
};

describe('policy list filtering: a principal only sees what it could use', function () {
  this.timeout(30_000);
  let engine: PolicyEngine;
  before(async () => {
    const { dir, dispose } = await scratch();
    try {
      engine = await PolicyEngine.fromBundle(await readBundle(await buildBundle(dir, { revision: 'lists' })));
    } finally {
      await dispose();
    }
  });

  const decideAs = (p: Principal) => (probe: ListProbe) =>
    engine.evaluate(
      buildPolicyInput({
        principal: p,
        connection: { name: 'crm', tags: [] },
        message: probe.message,
        ...(probe.toolAnnotations ? { toolAnnotations: probe.toolAnnotations } : {}),
        session: { id: 's', calls: 0 },
        http: { method: 'POST', path: '/mcp/crm', remote_addr: '127.0.0.1', headers: {} },
        now: new Date('2025-01-01T00:00:00Z'),
      }),
    );

  it('shows a reader the tools it may call or ask approval for, and keeps the cursor', () => {
    const { result, hidden, toolAnnotations } = filterListResult('tools/list', demoTools, decideAs(principal('dev-user', ['mcp-readers'])));
    assert.deepEqual((result['tools'] as { name: string }[]).map((t) => t.name), ['list_customers', 'get_customer', 'search_customers', 'update_customer_tier', 'delete_customer']);
    assert.deepEqual(hidden, ['export_customers_csv']);
    assert.equal(result['nextCursor'], 'page-2');
    assert.deepEqual(toolAnnotations.get('delete_customer'), { destructiveHint: true });
  });

  it('shows an outsider no tools', () => {
    const { result, hidden } = filterListResult('tools/list', demoTools, decideAs(principal('mallory', ['contractors'])));
    assert.deepEqual(result['tools'], []);
    assert.equal(hidden.length, 6);
  });

  it('filters prompts and resources by the calls that would use them', () => {
    const reader = decideAs(principal('dev-user', ['mcp-readers']));
    const prompts = filterListResult('prompts/list', { prompts: [{ name: 'summarize_customer' }, { name: 'other' }] }, reader);
    assert.deepEqual(prompts.hidden, ['other']);
    const resources = filterListResult('resources/list', { resources: [{ uri: 'customers://cus_001' }, { uri: 'file:///etc/passwd' }] }, reader);
    assert.deepEqual((resources.result['resources'] as { uri: string }[]).map((r) => r.uri), ['customers://cus_001']);
  });

  it('hides items it cannot name, and leaves results without a list alone', () => {
    const reader = decideAs(principal('dev-user', ['mcp-readers']));
    assert.deepEqual(filterListResult('tools/list', { tools: [{ title: 'nameless' }, 'x'] }, reader).result['tools'], []);
    assert.deepEqual(filterListResult('tools/list', { other: 1 }, reader).result, { other: 1 });
  });

  it('probes with the call that would use the item', () => {
    assert.deepEqual(probeFor('tools/list', { name: 'echo', annotations: { readOnlyHint: true } }), {
      message: { jsonrpc: '2.0', id: 'regate-list-probe', method: 'tools/call', params: { name: 'echo', arguments: {} } },
      toolAnnotations: { readOnlyHint: true },
    });
    assert.deepEqual(probeFor('resources/list', { uri: 'demo://readme' }).message['params'], { uri: 'demo://readme' });
    assert.equal(isFilteredList('tools/list'), true);
    assert.equal(isFilteredList('resources/templates/list'), false);
  });
});
