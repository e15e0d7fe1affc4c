/**
 * The `redis` section of regate's configuration. Absent: the in-memory store (state is per
 * process, warned at start). Present: every replica shares state through this Redis.
 *
 * redis:
 *   url: rediss://redis.internal:6380/0       # rediss:// = TLS; user:password@ allowed (redacted)
 *   key_prefix: "regate:"                       # on every key and channel
 *   password: ${REDIS_PASSWORD}
 *   tls: { ca_file: certs/ca.pem, cert_file: ..., key_file: ..., reject_unauthorized: true }
 *   connect_timeout_ms: 5000
 *   command_timeout_ms: 2000
 */
import { z } from 'zod';

export const redisConfigSchema = z
  .strictObject({
    /** redis://[user:password@]host[:port][/db], or rediss:// for TLS. */
    url: z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }),
    key_prefix: z.string().default('regate:'),
    /** Files for TLS; only with a rediss:// URL. */
    tls: z
      .strictObject({
        ca_file: z.string().min(1).optional(),
        cert_file: z.string().min(1).optional(),
        key_file: z.string().min(1).optional(),
        reject_unauthorized: z.boolean().default(true),
      })
      .optional(),
    /** Overrides a password in the URL. */
    password: z.string().min(1).optional(),
    connect_timeout_ms: z.number().int().positive().default(5000),
    /** A command without a reply in this time fails with REGATE_ERR_STORE_UNAVAILABLE. */
    command_timeout_ms: z.number().int().positive().default(2000),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.tls !== undefined && !cfg.url.startsWith('rediss:')) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is set but the url is redis://; use a rediss:// URL for TLS' });
    }
    if ((cfg.tls?.cert_file === undefined) !== (cfg.tls?.key_file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'cert_file and key_file go together (a client certificate needs its key)' });
    }
  });

export type RedisConfig = z.output<typeof redisConfigSchema>;
