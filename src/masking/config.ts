/**
 * The `masking` section of regate's configuration:
 *
 *   masking:
 *     observe: true                 # count would-be exposures of what policy allowed in clear
 *     max_message_bytes: 16777216   # a larger message is withheld (REGATE_ERR_MASK_LIMIT), never passed unmasked
 *     hash_key: ${REGATE_MASK_HASH_KEY}   # HMAC key of the `hash` style (secret)
 *     binary: withhold              # images, audio and resource blobs of masked calls: withhold | pass
 *
 * Without `hash_key` every process draws a random key: hashes still hide values, but the same
 * value hashes differently after a restart and on another instance, so set it to correlate.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const maskingConfigSchema = z.strictObject({
  observe: z.boolean().default(true),
  max_message_bytes: z.number().int().positive().default(DEFAULT_MAX_MESSAGE_BYTES),
  hash_key: z.string().min(16, 'at least 16 characters').optional(),
  // No detector can inspect an image, audio clip or blob: under a mask obligation they are replaced
  // by a text item saying so (withhold), or passed as they are (pass: the policy vouches for them).
  binary: z.enum(['withhold', 'pass']).default('withhold'),
});

export type MaskingConfig = z.output<typeof maskingConfigSchema>;

/** The plain options a mask planner takes. */
export interface MaskingOptions {
  readonly observe: boolean;
  readonly maxMessageBytes: number;
  readonly hashKey: Uint8Array | string;
  /** False when the key was drawn at random for this process (hashes do not correlate across restarts). */
  readonly hashKeyConfigured: boolean;
  /** What a masked message's binary content becomes (see mask.ts). */
  readonly binary: BinaryPolicy;
}

export type BinaryPolicy = 'withhold' | 'pass';

let processKey: Uint8Array | undefined;

/** Translates the config section; draws the per-process hash key once when none is configured. */
export function maskingOptions(config: MaskingConfig): MaskingOptions {
  const configured = config.hash_key !== undefined;
  return {
    observe: config.observe,
    maxMessageBytes: config.max_message_bytes,
    hashKey: config.hash_key ?? (processKey ??= randomBytes(32)),
    hashKeyConfigured: configured,
    binary: config.binary,
  };
}
