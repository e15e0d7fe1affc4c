import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { RegateError } from '../errors.ts';
import {
  assertMaskable,
  BUILTIN_DETECTORS,
  compileMaskPlan,
  customDetectorsFromData,
  maskAllPlan,
  maskingOptions,
  maskMessage,
  type CustomDetector,
} from '../masking/index.ts';
import { readBundle } from '../policy/bundle/read-bundle.ts';
import { policyRuntimeOptions } from '../policy/config.ts';
import { maskObligationSchema, MASK_STYLES, type MaskObligation } from '../policy/decision.ts';

export interface MaskCommandArgs {
  readonly input: string;
  /** A JSON file: an array of obligations, a decision (`{mask: [...]}`), or `regate eval` output. */
  readonly obligations?: string;
  /** `all`, or a comma-separated list of detectors (with `style`). */
  readonly detectors?: string;
  readonly style?: string;
  /** A data document (like rego/data.json) with custom detectors at regate.masking.detectors. */
  readonly data?: string;
}

/**
 * `regate mask`: masks one message (a JSON-RPC message or a bare tool result) the way the gateway
 * would, and returns it with the counts; for security engineers testing obligations and detectors.
 * Custom detectors come from `--data`, or from the configured bundle when it is a file.
 */
export async function maskCommand(config: Config, baseDir: string, args: MaskCommandArgs): Promise<Record<string, unknown>> {
  const raw = await readText(args.input, '--input');
  const options = maskingOptions(config.masking);
  const customDetectors = await loadCustomDetectors(config, baseDir, args.data);
  const planOptions = { ...options, customDetectors };
  let obligations: MaskObligation[] | 'all';
  if (args.obligations !== undefined) obligations = parseObligations(await readText(args.obligations, '--obligations'), args.obligations);
  else if (args.detectors === 'all') obligations = 'all';
  else if (args.detectors !== undefined) obligations = detectorList(args.detectors, args.style ?? 'redact', customDetectors);
  else throw new RegateError('REGATE_ERR_INVALID_REQUEST', 'give --obligations <file> or --detectors all|<list>');
  const plan = obligations === 'all' ? maskAllPlan(planOptions) : compileMaskPlan(obligations, planOptions);
  assertMaskable(plan, Buffer.byteLength(raw));
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch (err) {
    throw new RegateError('REGATE_ERR_PARSE', `--input ${args.input}: ${(err as Error).message}`);
  }
  const r = maskMessage(plan, message);
  const hashed = obligations === 'all' ? false : obligations.some((o) => o.style === 'hash');
  return {
    message: r.message,
    changed: r.changed,
    masked: r.masked,
    exposed: r.exposed,
    ...(hashed && !options.hashKeyConfigured ? { note: 'masking.hash_key is not set: hashes use a random key for this run and do not correlate' } : {}),
  };
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new RegateError('REGATE_ERR_CONFIG_READ', `${flag} ${file}: ${(err as Error).message}`);
  }
}

const obligationsSchema = z.array(maskObligationSchema);

function parseObligations(text: string, file: string): MaskObligation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RegateError('REGATE_ERR_PARSE', `--obligations ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' ? ((doc as { mask?: unknown }).mask ?? []) : doc;
  const parsed = obligationsSchema.safeParse(list);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RegateError('REGATE_ERR_INVALID_REQUEST', `--obligations ${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function detectorList(list: string, style: string, custom: readonly CustomDetector[]): MaskObligation[] {
  const s = (MASK_STYLES as readonly string[]).includes(style) ? (style as MaskObligation['style']) : undefined;
  if (!s) throw new RegateError('REGATE_ERR_INVALID_REQUEST', `--style must be one of ${MASK_STYLES.join(', ')}`);
  const known = [...BUILTIN_DETECTORS, ...custom.map((d) => d.name)];
  return list
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((detector) => {
      if (!known.includes(detector)) throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `unknown detector ${detector} (known: ${known.join(', ')})`);
      return { detector, style: s };
    });
}

async function loadCustomDetectors(config: Config, baseDir: string, dataFile: string | undefined): Promise<CustomDetector[]> {
  if (dataFile !== undefined) {
    const text = await readText(dataFile, '--data');
    try {
      return customDetectorsFromData(JSON.parse(text));
    } catch (err) {
      if (err instanceof RegateError) throw err;
      throw new RegateError('REGATE_ERR_PARSE', `--data ${dataFile}: ${(err as Error).message}`);
    }
  }
  const bundle = config.policy.bundle;
  if (!('path' in bundle)) return [];
  const runtime = await policyRuntimeOptions(config.policy, baseDir);
  const path = isAbsolute(bundle.path) ? bundle.path : resolve(baseDir, bundle.path);
  let tarball: Buffer;
  try {
    tarball = await readFile(path);
  } catch {
    return []; // no bundle yet: built-in detectors only
  }
  const read = await readBundle(tarball, { maxBytes: runtime.maxBundleBytes, ...(runtime.verification ? { verification: runtime.verification } : {}) });
  return customDetectorsFromData(read.data);
}
