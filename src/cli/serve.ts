import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { buildConfig, loadConfigFile } from '../config/load.ts';
import { embeddedConfig } from '../config/embedded.ts';
import type { Config } from '../config/schema.ts';
import { startDemoServer, type DemoServer } from '../demo/demo-server.ts';
import { startRegate, type RunningRegate } from '../http/server.ts';
import { createLogger } from '../log.ts';

export interface ServeResult {
  readonly regate: RunningRegate;
  readonly demo: DemoServer | undefined;
  readonly config: Config;
  readonly log: Logger;
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
    config = buildConfig(embeddedConfig({ url: demo.url, token }), opts.env);
  }
  const log = createLogger(config.logging.level);
  let regate: RunningRegate;
  try {
    regate = await startRegate({ config, log });
  } catch (err) {
    await demo?.close();
    throw err;
  }
  log.info({ url: regate.url, connections: config.connections.map((c) => c.name) }, 'regate listening');
  return {
    regate,
    demo,
    config,
    log,
    stop: async () => {
      await regate.stop();
      await demo?.close();
    },
  };
}

/** What `npm start` prints so a first-time user can make a call straight away. */
export function embeddedBanner(url: string): string {
  const mcp = `${url}/mcp/demo`;
  return [
    '',
    `regate is running on its embedded defaults at ${url}`,
    `  MCP endpoint (Streamable HTTP): ${mcp}`,
    '  upstream: the demo CRM (customer records with names, emails and card numbers; delete_customer is destructive).',
    '  regate holds the demo credential; agents never see it.',
    '',
    'Try it:',
    `  curl -s ${mcp} -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \\`,
    `    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' -D -`,
    '  then repeat with -H "mcp-session-id: <id from the response>" and',
    `    -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_customers","arguments":{"limit":3}}}'`,
    `  or point an MCP client (e.g. npx @modelcontextprotocol/inspector) at ${mcp}`,
    `  health: ${url}/healthz  readiness: ${url}/readyz  metrics: ${url}/metrics`,
    '',
  ].join('\n');
}
