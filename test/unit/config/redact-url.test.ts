import assert from 'node:assert/strict';
import { redactUrl, redactUrlsIn, splitCredentials } from '../../../src/config/redact-url.ts';
import { REDACTED, redactConfig } from '../../../src/config/redact.ts';

describe('secrets in configured URLs are never shown', () => {
  const cases: ReadonlyArray<{ name: string; url: string; shown: string }> = [
    { name: 'a SAS token in the query', url: 'https://acct.blob.core.windows.net/b/regate.tar.gz?sv=2024&sig=abc%2Bdef', shown: 'https://acct.blob.core.windows.net/b/regate.tar.gz?REDACTED' },
    { name: 'user:pass@ in the authority', url: 'https://ci:hunter2@bundles.example/regate.tar.gz', shown: 'https://REDACTED@bundles.example/regate.tar.gz' },
    { name: 'a Redis URL with a password', url: 'rediss://:p4ss@cache.example:6380/0', shown: 'rediss://REDACTED@cache.example:6380/0' },
    { name: 'a fragment', url: 'http://127.0.0.1:3901/mcp#key=1', shown: 'http://127.0.0.1:3901/mcp#REDACTED' },
    { name: 'a URL without secrets (unchanged)', url: 'http://127.0.0.1:3901/mcp', shown: 'http://127.0.0.1:3901/mcp' },
    { name: 'a file path (unchanged)', url: 'bundles/regate.tar.gz', shown: 'bundles/regate.tar.gz' },
  ];
  for (const c of cases) {
    it(`redacts ${c.name}`, () => assert.equal(redactUrl(c.url), c.shown));
  }

  it('redacts every URL quoted in a message', () => {
    assert.equal(
      redactUrlsIn('fetch https://u:p@h.example/x?sig=s failed (see http://h2/y?token=t)'),
      'fetch https://REDACTED@h.example/x?REDACTED failed (see http://h2/y?REDACTED)',
    );
  });

  it('turns user:pass@ into a Basic Authorization header for fetch', () => {
    assert.deepEqual(splitCredentials('https://ci:p%40ss@h.example/b.tar.gz?sig=1'), {
      url: 'https://h.example/b.tar.gz?sig=1',
      authorization: `Basic ${Buffer.from('ci:p@ss').toString('base64')}`,
    });
    assert.deepEqual(splitCredentials('https://h.example/b'), { url: 'https://h.example/b' });
  });

  it('redacts every *url* and endpoint key in a printed configuration', () => {
    const printed = redactConfig({
      connections: [{ name: 'crm', url: 'https://u:p@crm.example/mcp?code=k', headers: { Authorization: 'Bearer t' } }],
      policy: { bundle: { url: 'https://acct.blob.core.windows.net/b.tar.gz?sig=s' } },
      redis: { url: 'redis://:pw@127.0.0.1:6379' },
      audit: { log_analytics: { endpoint: 'https://dce.example/?k=v' } },
      approvals: { notify: [{ type: 'teams', url: 'https://hook.example/x?sig=y' }, { type: 'slack', url: 'https://hooks.slack.com/services/T0000/B0000/XXXXSECRETXXXX' }] },
    });
    assert.deepEqual(printed, {
      connections: [{ name: 'crm', url: 'https://REDACTED@crm.example/mcp?REDACTED', headers: { Authorization: REDACTED } }],
      policy: { bundle: { url: 'https://acct.blob.core.windows.net/b.tar.gz?REDACTED' } },
      redis: { url: 'redis://REDACTED@127.0.0.1:6379' },
      audit: { log_analytics: { endpoint: 'https://dce.example/?REDACTED' } },
      // A notifier's URL is its secret (Slack's sits in the path): only the origin is shown.
      approvals: { notify: [{ type: 'teams', url: `https://hook.example/${REDACTED}` }, { type: 'slack', url: `https://hooks.slack.com/${REDACTED}` }] },
    });
  });
});
