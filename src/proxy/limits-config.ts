/**
 * Config fragments for what one caller can hold (`limits.per_principal`, `limits.per_connection`)
 * and for Streamable HTTP session bindings (`sessions`). Composed into the root schema.
 *
 * limits:
 *   per_principal: { max_concurrent_requests: 64, max_streams: 16, max_sessions: 64 }
 *   per_connection: { max_upstream_requests: 384, max_streams: 128 }
 * sessions:
 *   ttl_seconds: 3600          # idle time after which regate forgets a session's owner
 *   hash_key: ${REGATE_SESSION_HASH_KEY}   # HMAC key for session ids in logs; random per process when absent
 */
import { z } from 'zod';

const count = (def: number) => z.number().int().positive().default(def);

/** Per principal, across replicas (counted in the shared store). */
export const perPrincipalLimitsSchema = z
  .strictObject({
    /** Requests (POST and DELETE) of one principal being handled at once, held calls included. */
    max_concurrent_requests: count(64),
    /** GET streams (Streamable HTTP listen streams and legacy SSE streams) open at once. */
    max_streams: count(16),
    /** Streamable HTTP sessions one principal owns at once (live bindings). */
    max_sessions: count(64),
  })
  .prefault({});

/** Per connection and per process (each process has its own upstream socket pool). */
export const perConnectionLimitsSchema = z
  .strictObject({
    /** Upstream requests in flight at once (POST and DELETE); their own sockets. */
    max_upstream_requests: count(384),
    /** Long-lived GET streams at once; a separate budget, so streams never take the calls' sockets. */
    max_streams: count(128),
  })
  .prefault({});

export const sessionsConfigSchema = z
  .strictObject({
    /** A session unused this long is forgotten (its id is then refused with 404); every use renews it. */
    ttl_seconds: z.number().int().positive().default(3600),
    /** Key of the keyed hash that stands for session ids in logs (secret; random per process when absent). */
    hash_key: z.string().min(16, 'at least 16 characters').optional(),
  })
  .prefault({});

export type PerPrincipalLimits = z.output<typeof perPrincipalLimitsSchema>;
export type PerConnectionLimits = z.output<typeof perConnectionLimitsSchema>;
export type SessionsConfig = z.output<typeof sessionsConfigSchema>;
