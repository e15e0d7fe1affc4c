import type { ConfigInput } from './schema.ts';

/** The dev principals the embedded default prints tokens for. */
export const embeddedAgents = [
  { sub: 'demo-agent', name: 'Demo agent (reader)', groups: ['mcp-readers'] },
  { sub: 'demo-approver', name: 'Demo approver', groups: ['mcp-readers', 'mcp-approvers'] },
] as const;

/**
 * The embedded default used by `npm start` / `regate serve` without `--config`: one connection to
 * the in-process demo CRM, whose bearer credential only regate holds.
 */
export function embeddedConfig(demo: { url: string; token: string; bundle: string }): ConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 8080 },
    connections: [
      {
        name: 'crm',
        url: demo.url,
        transport: 'streamable-http',
        headers: { Authorization: `Bearer ${demo.token}` },
        tags: ['demo', 'pii'],
      },
    ],
    // The committed default bundle (unsigned: built from rego/ by scripts/build-bundle.sh).
    policy: { bundle: { path: demo.bundle } },
    // Dev tokens are minted from a local key (data/dev-auth-key.json, shared with `regate token`).
    auth: { provider: 'dev', dev: { enabled: true } },
    // delete_customer waits (held) until the demo approver approves it at /approvals.
    approvals: { mode: 'hold', timeout_seconds: 300 },
  };
}
