import assert from 'node:assert/strict';
import { buildConfig } from '../../../src/config/load.ts';
import { REDACTED, redactConfig } from '../../../src/config/redact.ts';

const minimal = { connections: [{ name: 'crm', url: 'http://127.0.0.1:3901/mcp' }] };

describe('configuration: limits per principal and per connection, sessions', () => {
  it('has the documented defaults (docs/operations.md#limits)', () => {
    const c = buildConfig(minimal, {});
    assert.deepEqual(c.limits.per_principal, { max_concurrent_requests: 64, max_streams: 16, max_sessions: 64 });
    assert.deepEqual(c.limits.per_connection, { max_upstream_requests: 384, max_streams: 128 });
    assert.deepEqual(c.sessions, { ttl_seconds: 3600 });
  });

  const bad: ReadonlyArray<{ name: string; doc: Record<string, unknown>; path: RegExp }> = [
    { name: 'an unknown per-principal key (typo)', doc: { limits: { per_principal: { max_stream: 4 } } }, path: /limits\.per_principal/ },
    { name: 'a zero budget', doc: { limits: { per_connection: { max_streams: 0 } } }, path: /limits\.per_connection\.max_streams/ },
    { name: 'a fractional count', doc: { limits: { per_principal: { max_sessions: 1.5 } } }, path: /limits\.per_principal\.max_sessions/ },
    { name: 'a short hash key', doc: { sessions: { hash_key: 'short' } }, path: /sessions\.hash_key/ },
    { name: 'an unknown sessions key', doc: { sessions: { ttl: 5 } }, path: /sessions/ },
  ];
  for (const b of bad) {
    it(`refuses ${b.name}`, () => {
      assert.throws(() => buildConfig({ ...minimal, ...b.doc }, {}), (err: Error) => b.path.test(err.message));
    });
  }

  it('redacts sessions.hash_key wherever configuration is shown', () => {
    const c = buildConfig({ ...minimal, sessions: { hash_key: 'a-deployment-key-of-32-characters' } }, {});
    assert.equal(redactConfig(c).sessions.hash_key, REDACTED);
    assert.equal(redactConfig(c).sessions.ttl_seconds, 3600);
  });
});
