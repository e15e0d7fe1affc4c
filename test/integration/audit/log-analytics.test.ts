import assert from 'node:assert/strict';
import { logAnalyticsSchema } from '../../../src/audit/config.ts';
import { createCredential, LogAnalyticsSink } from '../../../src/audit/log-analytics-sink.ts';
import { SinkError } from '../../../src/audit/sink.ts';
import { AzureFakes, azureClientOptions } from '../../helpers/azure-fakes.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { testCa } from '../../helpers/test-ca.ts';

describe('Log Analytics sink through the real Azure SDK clients (local HTTPS fakes)', () => {
  let fakes: AzureFakes;
  let sink: LogAnalyticsSink;

  before(async () => {
    fakes = await AzureFakes.start();
    const config = logAnalyticsSchema.parse(fakes.logAnalyticsConfig());
    const opts = azureClientOptions(await testCa(), 0);
    sink = new LogAnalyticsSink(config, createCredential(config.credential, opts), opts);
  });
  after(() => fakes.close());
  afterEach(() => fakes.refuse(undefined));

  it('gets a token with the client secret from the authority host and uploads gzip JSON that the service accepts', async () => {
    const events = sampleEvents(3);
    await sink.write(events, new AbortController().signal);
    assert.deepEqual(fakes.received.slice(-3), events);
    const token = fakes.tokenRequests.at(-1);
    assert.equal(token?.['grant_type'], 'client_credentials');
    assert.equal(token?.['scope'], 'https://monitor.azure.com/.default');
  });

  it('reports a 429 with its Retry-After as a SinkError the flusher can honour', async () => {
    fakes.refuse(() => ({ status: 429, retryAfterSeconds: 7 }));
    await assert.rejects(sink.write(sampleEvents(1), new AbortController().signal), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.equal(err.status, 429);
      assert.equal(err.retryAfterMs, 7000);
      return true;
    });
  });

  it('reports a 503 without Retry-After', async () => {
    fakes.refuse(() => ({ status: 503 }));
    await assert.rejects(sink.write(sampleEvents(1), new AbortController().signal), (err: unknown) => err instanceof SinkError && err.status === 503 && err.retryAfterMs === undefined);
  });

  it('is refused with 413 for an upload over 1 MB, which is why events are truncated before they are buffered', async () => {
    const [event] = sampleEvents(1);
    assert.ok(event);
    const huge = { ...event, content: 'x'.repeat(1_200_000) };
    await assert.rejects(sink.write([huge], new AbortController().signal), (err: unknown) => err instanceof SinkError && err.status === 413);
  });
});
