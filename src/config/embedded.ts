import type { ConfigInput } from './schema.ts';

/**
 * The embedded default used by `npm start` / `regate serve` without `--config`: one connection to
 * the in-process demo CRM, whose bearer credential only regate holds.
 */
export function embeddedConfig(demo: { url: string; token: string }): ConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 8080 },
    connections: [
      {
        name: 'demo',
        url: demo.url,
        transport: 'streamable-http',
        headers: { Authorization: `Bearer ${demo.token}` },
        tags: ['demo', 'pii'],
      },
    ],
  };
}
