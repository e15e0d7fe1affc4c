import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { dirname } from 'node:path';
import { buildConfig, loadConfigFile } from '../config/load.ts';
import { embeddedAgents, embeddedConfig } from '../config/embedded.ts';
import { startGateway, type Gateway } from '../compose.ts';
import type { Identity } from '../identity/create.ts';
import type { DevProvider } from '../identity/dev-provider.ts';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import { startDemoServer, type DemoServer } from '../demo/demo-server.ts';
import type { RunningRegate } from '../http/server.ts';
import { createLogger } from '../log.ts';

export interface ServeResult {
  readonly regate: RunningRegate;
  readonly demo: DemoServer | undefined;
  readonly config: Config;
  readonly log: Logger;
  readonly identity: Identity;
  stop(): Promise<void>;
}

/** The embedded default's upstream as regate's workers see it: where it is and the credential it wants. */
export interface EmbeddedUpstream {
  readonly url: string;
  readonly token: string;
}

/** Starts the demo CRM with a fresh random credential (the embedded default's upstream). */
export async function startEmbeddedUpstream(): Promise<{ demo: DemoServer; upstream: EmbeddedUpstream }> {
  const token = randomBytes(24).toString('base64url');
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0, requiredToken: token });
  return { demo, upstream: { url: demo.url, token } };
}

/** The embedded default configuration pointing at the given demo upstream. */
export function embeddedConfigFor(upstream: EmbeddedUpstream, env: NodeJS.ProcessEnv): Config {
  return buildConfig(embeddedConfig({ url: upstream.url, token: upstream.token, bundle: committedBundle }), env);
}

/**
 * `regate serve`: a config file, or the embedded defaults with the demo upstream. A cluster worker
 * (`--workers`) gets the primary's demo upstream in `embedded`, tags its log lines with its worker
 * id, and leaves announcing the gateway to the primary (`announce: false`).
 */
export async function serve(opts: {
  config?: string | undefined;
  env: NodeJS.ProcessEnv;
  embedded?: EmbeddedUpstream | undefined;
  worker?: number | undefined;
  announce?: boolean;
}): Promise<ServeResult> {
  let demo: DemoServer | undefined;
  let config: Config;
  if (opts.config) {
    config = await loadConfigFile(opts.config, opts.env);
  } else if (opts.embedded) {
    config = embeddedConfigFor(opts.embedded, opts.env);
  } else {
    const started = await startEmbeddedUpstream();
    demo = started.demo;
    config = embeddedConfigFor(started.upstream, opts.env);
  }
  const log = createLogger(config.logging.level);
  // Every line a worker writes (decision log included) says which worker wrote it.
  if (opts.worker !== undefined) log.setBindings({ worker: opts.worker });
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { baseDir: opts.config ? dirname(opts.config) : process.cwd(), log });
  } catch (err) {
    await demo?.close();
    throw err;
  }
  const { regate, identity } = gateway;
  if (opts.announce !== false) log.info({ url: regate.url, connections: config.connections.map((c) => c.name) }, 'regate listening');
  return {
    regate,
    demo,
    config,
    log,
    identity,
    stop: async () => {
      await regate.stop();
      await demo?.close();
    },
  };
}

/** The default bundle committed in bundles/ (same relative place from src/cli and dist/cli). */
export const committedBundle = fileURLToPath(new URL('../../bundles/regate.tar.gz', import.meta.url));

/** Dev tokens for the embedded default's demo principals, printed in the banner. */
export async function embeddedTokens(dev: Pick<DevProvider, 'mint'>): Promise<Array<{ sub: string; groups: readonly string[]; token: string }>> {
  const out = [];
  for (const a of embeddedAgents) {
    out.push({ sub: a.sub, groups: a.groups, token: await dev.mint({ sub: a.sub, name: a.name, groups: [...a.groups] }) });
  }
  return out;
}

/** What `npm start` prints so a first-time user can make a call straight away. */
export function embeddedBanner(url: string, tokens: ReadonlyArray<{ sub: string; groups: readonly string[]; token: string }>): string {
  const mcp = `${url}/mcp/crm`;
  const reader = tokens[0]!;
  return [
    '',
    `regate is running on its embedded defaults at ${url}`,
    `  MCP endpoint (Streamable HTTP): ${mcp}`,
    '  upstream: the demo CRM (customer records with names, emails and card numbers; delete_customer is destructive).',
    '  regate holds the demo credential; agents never see it.',
    '',
    'DEV MODE auth: tokens below are signed by a local key (valid for 1 hour). Never use dev auth in production.',
    ...tokens.map((t) => `  ${t.sub} (groups: ${t.groups.join(', ')}):\n    ${t.token}`),
    `  more: npm run regate -- token --sub alice --groups mcp-readers`,
    '',
    'Try it:',
    `  export TOKEN=${reader.token}`,
    `  curl -s ${mcp} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \\`,
    `    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' -D -`,
    '  then repeat with -H "mcp-session-id: <id from the response>" (and the token) and',
    `    -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_customers","arguments":{"limit":3}}}'`,
    `  or point an MCP client (e.g. npx @modelcontextprotocol/inspector) at ${mcp} with the bearer token`,
    '',
    'Masking: the default policy masks PII in what leaves the gateway: call get_customer ({"id":"cus_001"})',
    '  and the card and IBAN arrive as their last four digits, the email hashed, the phone redacted.',
    ...approvalLines(url, tokens),
    '',
    'Recording and the access review: every call is recorded to data/transcripts.jsonl; then',
    '  npm run regate -- review --since 1h --format md        (or --format html --out review.html)',
    '  npm run regate -- replay <mcp-session-id>',
    `  health: ${url}/healthz  readiness: ${url}/readyz  metrics: ${url}/metrics`,
    '',
  ].join('\n');
}

/** How the demo approver decides a held delete_customer (page and API). */
function approvalLines(url: string, tokens: ReadonlyArray<{ sub: string; groups: readonly string[]; token: string }>): string[] {
  const approver = tokens.find((t) => t.groups.includes('mcp-approvers'));
  if (approver === undefined) return [];
  return [
    '',
    'Approvals: a tools/call of delete_customer by demo-agent is held until an approver decides it.',
    `  approval page: ${url}/approvals  (sign in with the ${approver.sub} token above)`,
    `  or: curl -s ${url}/approvals -H "authorization: Bearer $APPROVER_TOKEN"   # pending, with ids`,
    `      curl -s -X POST ${url}/approvals/<id>/approve -H "authorization: Bearer $APPROVER_TOKEN" -H 'content-type: application/json' -d '{"comment":"ok"}'`,
    `  export APPROVER_TOKEN=${approver.token}`,
  ];
}
