/**
 * regate in front of the era test peers: server-everything (2025 sessions) and the v2 server
 * (both eras, and its modern-only endpoint), behind the whole gateway (dev auth, the default Rego
 * policy built into a bundle with test data for these connections), with a captured log so tests
 * can read the decision log.
 *
 * Connections (all enforce the default policy):
 * - `everything`: every tool server-everything lists is allowed (read-only), so results through
 *   regate can be compared with direct ones.
 * - `v2` and `v2modern`: the v2 server's tools, prompt and resource, all allowed.
 * - `v2strict`: the same v2 server (both eras), but tool `echo` is denied and the server may not
 *   ask the client for `elicitation/create` (`refused_server_methods`).
 * - `v2fresh`: like `v2`, for a test that needs a connection nothing was listed through yet.
 * - `v2unknown`: the v2 server on a connection the policy does not describe (every message denied).
 * - `v2masked`: the v2 server, every result masked with the credit_card (last4) and email detectors.
 * - `everythingstrict`: server-everything, its elicitation tool allowed, but the server may not
 *   ask the client for `elicitation/create` (the 2025 era's server->client request).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import type { TranscriptEvent } from '../../src/audit/event.ts';
import { join } from 'node:path';
import { DEFAULT_REGO, buildBundle, scratch } from '../fixtures/policy/bundles.ts';
import { captureLog, type CapturedLog } from './captured-log.ts';
import type { PairingTargets } from './era-pairings.ts';
import { startTestGateway, type TestGateway } from './gateway.ts';
import { EVERYTHING, connectStreamableHttp, startEverything, type EverythingPeer } from './peers.ts';
import { V2, startV2Server, type V2ServerPeer } from './v2-peers.ts';

export interface EraGateway {
  readonly everything: EverythingPeer;
  /** Records every POST it receives (`v2.received`). */
  readonly v2: V2ServerPeer;
  readonly gw: TestGateway;
  readonly log: CapturedLog;
  /** The transcript events flushed to the file sink so far. */
  transcripts(): Promise<TranscriptEvent[]>;
  /** The upstreams themselves. */
  readonly direct: PairingTargets;
  /** regate's routes to them. */
  readonly viaRegate: PairingTargets;
  /** `${regate}/mcp/{connection}`. */
  url(connection: 'everything' | 'everythingstrict' | 'v2' | 'v2modern' | 'v2strict' | 'v2fresh' | 'v2unknown' | 'v2masked'): string;
  /** The Authorization header of a reader (dev token). */
  auth(sub?: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

const v2Policy = (extra: Record<string, unknown> = {}) => ({
  tags: ['test'],
  trust_annotations: false,
  read_only_tools: [V2.echoTool, V2.headerTool, V2.elicitationTool],
  approval_tools: [],
  denied_tools: [],
  prompts: [V2.argsPrompt],
  resource_prefixes: ['test://v2/'],
  masks: {},
  detectors: [],
  redact_arguments: {},
  ...extra,
});

export async function startEraGateway(): Promise<EraGateway> {
  const [everything, v2] = await Promise.all([startEverything('streamableHttp'), startV2Server({ record: true })]);
  const work = await scratch('regate-era-');
  let gw: TestGateway | undefined;
  try {
    const probe = await connectStreamableHttp(everything.url);
    const everythingTools = (await probe.client.listTools()).tools.map((t) => t.name);
    await probe.close();

    const rego = join(work.dir, 'rego');
    await cp(DEFAULT_REGO, rego, { recursive: true });
    const data = JSON.parse(await readFile(join(rego, 'data.json'), 'utf8')) as { regate: { config: { connections: Record<string, unknown> } } };
    Object.assign(data.regate.config.connections, {
      everything: {
        ...v2Policy(),
        read_only_tools: everythingTools,
        prompts: [EVERYTHING.simplePrompt, EVERYTHING.argsPrompt],
        resource_prefixes: ['demo://resource/'],
      },
      everythingstrict: {
        ...v2Policy(),
        read_only_tools: [EVERYTHING.echoTool, EVERYTHING.elicitationTool],
        refused_server_methods: ['elicitation/create'],
      },
      v2: v2Policy(),
      v2modern: v2Policy(),
      v2fresh: v2Policy(),
      v2strict: v2Policy({ denied_tools: [V2.echoTool], refused_server_methods: ['elicitation/create'] }),
      v2masked: v2Policy({ detectors: [{ detector: 'credit_card', style: 'last4' }, { detector: 'email', style: 'redact' }] }),
    });
    await writeFile(join(rego, 'data.json'), JSON.stringify(data));
    const bundle = join(work.dir, 'era.tar.gz');
    await writeFile(bundle, await buildBundle(work.dir, { source: rego, revision: 'era-test' }));

    const log = captureLog('info');
    gw = await startTestGateway(
      {
        connections: [
          { name: 'everything', url: everything.url },
          { name: 'everythingstrict', url: everything.url },
          { name: 'v2', url: v2.url },
          { name: 'v2modern', url: v2.modernUrl },
          { name: 'v2strict', url: v2.url },
          { name: 'v2fresh', url: v2.url },
          { name: 'v2unknown', url: v2.url },
          { name: 'v2masked', url: v2.url },
        ],
        policy: { bundle: { path: bundle } },
        audit: { file: { path: join(work.dir, 'transcripts.jsonl') }, buffer: { spill_path: join(work.dir, 'buffer.jsonl') } },
      },
      { log: log.log },
    );
    const base = gw.regate.url;
    const g = gw;
    return {
      everything,
      v2,
      gw,
      log,
      direct: { everything: everything.url, v2: v2.url, 'v2-modern': v2.modernUrl },
      viaRegate: { everything: `${base}/mcp/everything`, v2: `${base}/mcp/v2`, 'v2-modern': `${base}/mcp/v2modern` },
      url: (c) => `${base}/mcp/${c}`,
      transcripts: async () => {
        const text = await readFile(join(work.dir, 'transcripts.jsonl'), 'utf8').catch(() => '');
        return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as TranscriptEvent);
      },
      auth: async (sub = 'alice') => ({ Authorization: `Bearer ${await g.token(sub, ['mcp-readers'])}` }),
      async stop() {
        await g.stop();
        await Promise.all([everything.stop(), v2.stop(), work.dispose()]);
      },
    };
  } catch (err) {
    await gw?.stop();
    await Promise.all([everything.stop(), v2.stop(), work.dispose()]);
    throw err;
  }
}
