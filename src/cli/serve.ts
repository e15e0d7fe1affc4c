import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { dirname } from 'node:path';
import { buildConfig, loadConfigFile } from '../config/load.ts';
import { embeddedAgents, embeddedConfig } from '../config/embedded.ts';
import { startGateway, type Gateway } from '../compose.ts';
import type { Identity } from '../identity/create.ts';
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

/** `regate serve`: a config file, or the embedded defaults with the demo upstream. */
export async function serve(opts: { config?: string | undefined; env: NodeJS.ProcessEnv }): Promise<ServeResult> {
  let demo: DemoServer | undefined;
  let config: Config;
  if (opts.config) {
    config = await loadConfigFile(opts.config, opts.env);
  } else {
    const token = randomBytes(24).toString('base64url');
    demo = await startDemoServer({ host: '127.0.0.1', port: 0, requiredToken: token });
    config = buildConfig(embeddedConfig({ url: demo.url, token, bundle: committedBundle }), opts.env);
  }
  const log = createLogger(config.logging.level);
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { baseDir: opts.config ? dirname(opts.config) : process.cwd(), log });
  } catch (err) {
    await demo?.close();
    throw err;
  }
  const { regate, identity } = gateway;
  log.info({ url: regate.url, ...(regate.opsUrl ? { ops_url: regate.opsUrl } : {}), connections: config.connections.map((c) => c.name) }, 'regate listening');
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
export async function embeddedTokens(identity: Identity): Promise<Array<{ sub: string; groups: readonly string[]; token: string }>> {
  const out = [];
  for (const a of embeddedAgents) {
    out.push({ sub: a.sub, groups: a.groups, token: await identity.dev!.mint({ sub: a.sub, name: a.name, groups: [...a.groups] }) });
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
    `  health: ${url}/healthz  readiness: ${url}/readyz  metrics: ${url}/metrics`,
    '',
  ].join('\n');
}
