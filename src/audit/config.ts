/**
 * The `audit` section of the configuration (session recording). Binding keys (DESIGN.md, issue 13):
 * `sink` | `sinks`, `file.path`, `log_analytics.{endpoint, rule_id, stream, credential}`,
 * `on_buffer_failure`, `max_content_bytes`. Everything is optional: the embedded default records to
 * the JSON-lines file `data/transcripts.jsonl` through a memory + spill-file buffer.
 *
 * audit:
 *   sinks: [file, log-analytics]          # or sink: file | log-analytics
 *   file: { path: data/transcripts.jsonl, max_bytes: 104857600, rotate_hours: 24, retain_days: 30 }
 *   log_analytics:
 *     endpoint: https://my-dce.westeurope-1.ingest.monitor.azure.com
 *     rule_id: dcr-00000000000000000000000000000000
 *     stream: Custom-RegateTranscripts
 *     credential: { type: managed_identity, client_id: ... }
 *   on_buffer_failure: deny               # refuse a call that cannot be recorded
 *   max_content_bytes: 65536
 */
import { z } from 'zod';

export const SINK_NAMES = ['file', 'log-analytics'] as const;

const sinkName = z.enum(SINK_NAMES);

/** Which @azure/identity credential uploads to Log Analytics. */
export const credentialSchema = z
  .strictObject({
    /** default = DefaultAzureCredential's chain; the others pick one credential explicitly. */
    type: z.enum(['default', 'managed_identity', 'workload_identity', 'client_secret']).default('default'),
    tenant_id: z.string().min(1).optional(),
    /** User-assigned managed identity, workload identity or app registration client id. */
    client_id: z.string().min(1).optional(),
    client_secret: z.string().min(1).optional(),
    /** Entra authority, e.g. https://login.microsoftonline.us for a sovereign cloud (and the tests' fake). */
    authority_host: z.url({ protocol: /^https$/, error: 'an https:// URL' }).optional(),
    /**
     * Skip MSAL's instance discovery (a call to login.microsoftonline.com) for an authority it does
     * not know, e.g. a private or test authority. Leave false for Azure's public and sovereign clouds.
     */
    disable_instance_discovery: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'client_secret') {
      for (const key of ['tenant_id', 'client_id', 'client_secret'] as const) {
        if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when type is client_secret` });
      }
    }
  });

export const logAnalyticsSchema = z.strictObject({
  /** Data collection endpoint (or the DCR's own logs ingestion endpoint). */
  endpoint: z.url({ protocol: /^https$/, error: 'an https:// URL' }),
  /** The data collection rule's immutable id (dcr-...). */
  rule_id: z.string().min(1),
  stream: z.string().min(1).default('Custom-RegateTranscripts'),
  credential: credentialSchema.prefault({}),
  /** Events per upload batch (each upload is also kept under 1 MB). */
  batch_max_events: z.number().int().positive().max(10_000).default(500),
  /** A batch is sent when full or when its oldest event is this old. */
  flush_interval_ms: z.number().int().positive().default(1000),
  /** Ceiling of the flusher's own retry backoff (Retry-After from the service is honoured above it). */
  max_retry_delay_ms: z.number().int().positive().default(30_000),
  // --- reading back (`regate review`, `replay`, `whatif` through the Logs query API)
  /** The Log Analytics workspace id (a GUID) the transcripts land in; needed to query them. */
  workspace_id: z.string().min(1).optional(),
  /** Logs query API base URL (sovereign clouds, tests); the SDK's default is https://api.loganalytics.io/v1. */
  query_endpoint: z.url({ protocol: /^https$/, error: 'an https:// URL' }).optional(),
  /** The table the DCR writes to. */
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('RegateTranscripts_CL'),
  /** Each query covers this much time; a window with more than query_max_rows rows is split. */
  query_window_hours: z.number().positive().default(6),
  query_max_rows: z.number().int().positive().max(500_000).default(50_000),
});

export const fileSinkSchema = z
  .strictObject({
    path: z.string().min(1).default('data/transcripts.jsonl'),
    /** The active file is rotated once it reaches this size... */
    max_bytes: z.number().int().positive().default(100 * 1024 * 1024),
    /** ...or this age (0 = by size only). */
    rotate_hours: z.number().nonnegative().default(24),
    /** Rotated files older than this are deleted (0 = keep forever). */
    retain_days: z.number().nonnegative().default(30),
  })
  .prefault({});

export const bufferSchema = z
  .strictObject({
    /** Spill file of the embedded (no Redis) buffer. */
    spill_path: z.string().min(1).default('data/audit-buffer.jsonl'),
    /** fsync every append of the embedded buffer: survives power loss, not only a process crash. */
    fsync: z.boolean().default(false),
    /** Appends are refused (REGATE_ERR_AUDIT_BUFFER) once this many events wait for delivery. */
    max_events: z.number().int().positive().default(1_000_000),
    /** An append that takes longer than this is refused (Redis unreachable or stalled). */
    append_timeout_ms: z.number().int().positive().default(1000),
    /** Another instance's unacknowledged events are taken over after this idle time (XAUTOCLAIM). */
    claim_idle_ms: z.number().int().positive().default(60_000),
  })
  .prefault({});

/** Largest value of max_content_bytes: keeps every event well under the 1 MB upload limit. */
export const MAX_CONTENT_BYTES_LIMIT = 256 * 1024;

export const auditConfigSchema = z
  .strictObject({
    /**
     * false turns recording off (no transcript at all, warned at start): for measuring what
     * recording costs, or a site that records elsewhere. Default on.
     */
    enabled: z.boolean().default(true),
    sink: sinkName.optional(),
    sinks: z.array(sinkName).min(1).optional(),
    file: fileSinkSchema,
    log_analytics: logAnalyticsSchema.optional(),
    buffer: bufferSchema,
    /** deny: a call whose request event cannot be buffered is refused (503). allow: forwarded unrecorded. */
    on_buffer_failure: z.enum(['deny', 'allow']).default('deny'),
    /** Content (and arguments) larger than this, as JSON, is truncated with its size and SHA-256. */
    max_content_bytes: z.number().int().min(1024).max(MAX_CONTENT_BYTES_LIMIT).default(64 * 1024),
  })
  .superRefine((a, ctx) => {
    if (a.sink !== undefined && a.sinks !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['sinks'], message: 'give either sink or sinks, not both' });
    }
    const sinks = a.sinks ?? [a.sink ?? 'file'];
    if (sinks.includes('log-analytics') && a.log_analytics === undefined) {
      ctx.addIssue({ code: 'custom', path: ['log_analytics'], message: 'required when the log-analytics sink is used' });
    }
  })
  .transform(({ sink, sinks, ...rest }) => ({ ...rest, sinks: [...new Set(sinks ?? [sink ?? 'file'])] }));

export type AuditConfig = z.output<typeof auditConfigSchema>;
export type LogAnalyticsConfig = z.output<typeof logAnalyticsSchema>;
export type CredentialConfig = z.output<typeof credentialSchema>;
