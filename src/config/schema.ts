import { z } from 'zod';
import { parseProxyEntry } from './cidr.ts';
import { auditConfigSchema } from '../audit/config.ts';
import { authConfigSchema } from '../identity/config.ts';
import { policyConfigSchema } from '../policy/config.ts';
import { redisConfigSchema } from '../store/config.ts';
import { perConnectionLimitsSchema, perPrincipalLimitsSchema, sessionsConfigSchema } from '../proxy/limits-config.ts';
import { approvalsConfigSchema } from '../approvals/config.ts';
import { maskingConfigSchema } from '../masking/config.ts';

/**
 * The configuration schema. Keys are snake_case as in DESIGN.md; `listen` and
 * `connections[].name|url|transport|headers` are binding. Unknown keys are rejected so that a typo
 * in a security setting is an error, never a silently ignored line.
 */

const seconds = (def: number) => z.number().nonnegative().default(def);

export const connectionSchema = z
  .strictObject({
    /** URL path segment: /mcp/{name}. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "-" and "_", starting with a letter or digit'),
    url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
    transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
    /** Gateway-held credentials and other headers sent upstream; values are secrets. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'), z.string()).default({}),
    /** Free-form labels handed to policy as input.connection.tags. */
    tags: z.array(z.string()).default([]),
    /** Per-connection override of policy.mode, to roll a new policy out one connection at a time. */
    policy: z.strictObject({ mode: z.enum(['enforce', 'shadow']).optional() }).optional(),
    timeouts: z
      .strictObject({
        connect_seconds: seconds(10),
        /** Until the upstream sends response headers. Above 300 s so long tool calls are not cut. */
        response_seconds: seconds(900),
        /** Silence allowed on an open response stream; 0 = no limit (SSE keepalives reset it). */
        idle_seconds: seconds(0),
      })
      .prefault({}),
  });

export const configSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Peers whose X-Forwarded-For is believed (IPs or CIDRs); see src/http/client-address.ts. */
        trusted_proxies: z
          .array(z.string().refine((v) => parseProxyEntry(v) !== undefined, 'an IP address or CIDR, e.g. 10.0.0.0/8'))
          .optional(),
      })
      .prefault({}),
    /** A separate listener for /healthz, /readyz and /metrics; when set they leave the public port. */
    ops_listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535),
      })
      .optional(),
    /** The URL agents use to reach regate; used in rewritten SSE endpoints and resource metadata. */
    public_url: z.url().optional(),
    limits: z
      .strictObject({
        max_body_bytes: z.number().int().positive().default(4 * 1024 * 1024),
        max_json_depth: z.number().int().positive().max(1000).default(64),
        max_batch_messages: z.number().int().positive().default(100),
        /** A JSON response, or one SSE event, larger than this is refused (it must be parsed whole). */
        max_response_bytes: z.number().int().positive().default(32 * 1024 * 1024),
        /** A request body must be complete this long after its headers (slow-loris bound). */
        body_timeout_seconds: z.number().positive().default(30),
        /** ... and keep up at least this rate, averaged over a few seconds (0 = no rate check). */
        min_body_bytes_per_second: z.number().int().nonnegative().default(1024),
        /** What one principal may hold at once (docs/operations.md#limits). */
        per_principal: perPrincipalLimitsSchema,
        /** What one connection may have in flight upstream, calls and streams apart. */
        per_connection: perConnectionLimitsSchema,
      })
      .prefault({}),
    connections: z.array(connectionSchema).min(1, 'at least one connection is required'),
    /** The Rego bundle every MCP message is decided by; defaults to the committed bundle. */
    policy: policyConfigSchema.prefault({}),
    /** How agents authenticate. Required by `regate serve` (there is no anonymous mode). */
    auth: authConfigSchema.optional(),
    /** Shared state for every replica; absent -> the in-memory store (one process, warned at start). */
    redis: redisConfigSchema.optional(),
    /** Streamable HTTP sessions bound to the principal that initialized them. */
    sessions: sessionsConfigSchema,
    /** Just-in-time approvals (src/approvals/); absent -> calls needing approval are refused. */
    approvals: approvalsConfigSchema.optional(),
    logging: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      })
      .prefault({}),
    shutdown: z.strictObject({ grace_seconds: seconds(30) }).prefault({}),
    /** Session recording: transcript sinks, buffer and delivery (src/audit/config.ts). */
    audit: auditConfigSchema.prefault({}),
    /** Masking of server -> client messages (observe, size limit, hash key). */
    masking: maskingConfigSchema.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.connections.forEach((c, i) => {
      if (seen.has(c.name)) {
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `duplicate connection name "${c.name}"` });
      }
      seen.add(c.name);
    });
    if (cfg.approvals?.signin !== undefined && cfg.auth?.provider === 'dev') {
      ctx.addIssue({ code: 'custom', path: ['approvals', 'signin'], message: 'the OIDC sign-in needs auth.provider entra or oidc (dev auth has its own sign-in form)' });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ConnectionConfig = Config['connections'][number];
