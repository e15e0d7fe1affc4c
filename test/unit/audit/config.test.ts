import assert from 'node:assert/strict';
import { auditConfigSchema } from '../../../src/audit/config.ts';
import { configSchema } from '../../../src/config/schema.ts';

const la = { endpoint: 'https://dce.example.ingest.monitor.azure.com', rule_id: 'dcr-1' };

function issues(input: unknown): string[] {
  const r = auditConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('audit configuration', () => {
  it('defaults to the embedded recorder: the file sink at data/transcripts.jsonl, deny on buffer failure', () => {
    const a = auditConfigSchema.parse({});
    assert.deepEqual(a.sinks, ['file']);
    assert.equal(a.file.path, 'data/transcripts.jsonl');
    assert.equal(a.on_buffer_failure, 'deny');
    assert.equal(a.max_content_bytes, 65536);
    assert.equal(a.log_analytics, undefined);
  });

  it('is optional in the root schema', () => {
    const c = configSchema.parse({ connections: [{ name: 'crm', url: 'http://127.0.0.1:3901/mcp' }] });
    assert.deepEqual(c.audit.sinks, ['file']);
  });

  it('accepts sink or sinks, not both', () => {
    assert.deepEqual(auditConfigSchema.parse({ sink: 'log-analytics', log_analytics: la }).sinks, ['log-analytics']);
    assert.deepEqual(auditConfigSchema.parse({ sinks: ['file', 'log-analytics'], log_analytics: la }).sinks, ['file', 'log-analytics']);
    assert.deepEqual(issues({ sink: 'file', sinks: ['file'] }), ['sinks: give either sink or sinks, not both']);
  });

  it('requires log_analytics when that sink is used, with the stream and credential defaults', () => {
    assert.deepEqual(issues({ sink: 'log-analytics' }), ['log_analytics: required when the log-analytics sink is used']);
    const a = auditConfigSchema.parse({ sink: 'log-analytics', log_analytics: la });
    assert.equal(a.log_analytics?.stream, 'Custom-RegateTranscripts');
    assert.equal(a.log_analytics?.credential.type, 'default');
  });

  it('requires tenant, client id and secret for a client_secret credential', () => {
    assert.deepEqual(issues({ sink: 'log-analytics', log_analytics: { ...la, credential: { type: 'client_secret', tenant_id: 't' } } }), [
      'log_analytics.credential.client_id: required when type is client_secret',
      'log_analytics.credential.client_secret: required when type is client_secret',
    ]);
  });

  it('refuses unknown keys, a non-https endpoint and a max_content_bytes that could break the 1 MB upload limit', () => {
    assert.equal(issues({ sinkz: 'file' }).length, 1);
    assert.equal(issues({ sink: 'log-analytics', log_analytics: { ...la, endpoint: 'http://dce.example' } }).length, 1);
    assert.equal(issues({ max_content_bytes: 2 * 1024 * 1024 }).length, 1);
  });
});
