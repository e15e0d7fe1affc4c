/**
 * The `policy` section of regate's configuration (DESIGN.md), and its translation into the plain
 * options the policy runtime takes. Only the composition root calls `policyRuntimeOptions`.
 *
 * policy:
 *   bundle: { path: bundles/regate.tar.gz }                # or { url: https://..., poll_seconds: 30, headers: {...} }
 *   verification: { public_key_file: keys/bundle.pub, key_id: default, required: true }
 *   mode: enforce                                         # or shadow: evaluate and log, never block
 *   persist_dir: data/policy                              # last good downloaded bundle
 *   project_input: true                                   # evaluate only the input paths the policy reads
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_BUNDLE_BYTES } from './bundle/archive.ts';
import { loadVerificationKey, SIGNATURE_ALGORITHMS } from './bundle/keys.ts';
import type { VerificationOptions } from './bundle/verify.ts';
import type { EngineOptions } from './engine.ts';
import { FileBundleSource } from './sources/file-source.ts';
import { HttpBundleSource } from './sources/http-source.ts';
import type { BundleSource, SourceLogger } from './sources/source.ts';

const fileBundleSchema = z
  .object({
    path: z.string().min(1),
    /** How often to stat the file besides watching it. */
    poll_seconds: z.number().positive().default(2),
  })
  .strict();

const httpBundleSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    poll_seconds: z.number().positive().default(30),
    headers: z.record(z.string(), z.string()).optional(),
    timeout_seconds: z.number().positive().default(30),
  })
  .strict();

export const policyConfigSchema = z
  .object({
    bundle: z.union([fileBundleSchema, httpBundleSchema]).default({ path: 'bundles/regate.tar.gz', poll_seconds: 2 }),
    /** Absent: unsigned bundles are accepted with a warning and signed ones refused (as in OPA). */
    verification: z
      .object({
        public_key_file: z.string().min(1),
        /** Key id the JWS must name (`kid`); opa build's default is `default`. */
        key_id: z.string().min(1).optional(),
        /** Default: from the key (RSA -> RS256, P-256 -> ES256, ...). */
        algorithm: z.enum(SIGNATURE_ALGORITHMS).optional(),
        scope: z.string().optional(),
        required: z.boolean().default(true),
      })
      .strict()
      .optional(),
    mode: z.enum(['enforce', 'shadow']).default('enforce'),
    /** Where the HTTP source keeps the last good bundle for a cold start. */
    persist_dir: z.string().min(1).optional(),
    max_bundle_bytes: z.number().int().positive().default(DEFAULT_MAX_BUNDLE_BYTES),
    /** Hard cap on the WASM memory of one engine. */
    max_memory_mb: z.number().int().positive().default(256),
    /**
     * Hand the policy only the input paths its bundle's projection lists (same decisions, less
     * to parse); false hands it the whole input, for debugging a policy built another way.
     */
    project_input: z.boolean().default(true),
  })
  .strict();

export type PolicyConfig = z.infer<typeof policyConfigSchema>;
export type PolicyMode = PolicyConfig['mode'];

export interface PolicyRuntimeOptions {
  readonly source: BundleSource;
  readonly verification?: VerificationOptions;
  readonly engine: EngineOptions;
  readonly maxBundleBytes: number;
  readonly mode: PolicyMode;
}

/** Builds the source, verification key and engine options; relative paths resolve against `baseDir`. */
export async function policyRuntimeOptions(config: PolicyConfig, baseDir: string, log?: SourceLogger): Promise<PolicyRuntimeOptions> {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const b = config.bundle;
  const source: BundleSource =
    'path' in b
      ? new FileBundleSource({ path: at(b.path), pollMs: b.poll_seconds * 1000, ...(log ? { log } : {}) })
      : new HttpBundleSource({
          url: b.url,
          pollMs: b.poll_seconds * 1000,
          timeoutMs: b.timeout_seconds * 1000,
          maxBytes: config.max_bundle_bytes,
          ...(b.headers ? { headers: b.headers } : {}),
          ...(config.persist_dir ? { persistDir: at(config.persist_dir) } : {}),
          ...(log ? { log } : {}),
        });
  const v = config.verification;
  const verification: VerificationOptions | undefined = v
    ? {
        key: await loadVerificationKey(at(v.public_key_file), v.algorithm),
        required: v.required,
        ...(v.key_id !== undefined ? { keyId: v.key_id } : {}),
        ...(v.scope !== undefined ? { scope: v.scope } : {}),
      }
    : undefined;
  return {
    source,
    ...(verification ? { verification } : {}),
    engine: { maxMemoryBytes: config.max_memory_mb * 1024 * 1024, projectInput: config.project_input },
    maxBundleBytes: config.max_bundle_bytes,
    mode: config.mode,
  };
}
