/**
 * Custom detectors, published with the policy bundle so that security engineers add one by
 * publishing a bundle. They live in the bundle's data at `data.regate.masking.detectors`:
 *
 *   "regate": { "masking": { "detectors": {
 *     "employee_id": { "pattern": "EMP-[0-9]{6}", "keywords": ["EMP-"] },
 *     "loyalty_card": { "pattern": "\\b9[0-9]{15}\\b", "validator": "luhn" }
 *   } } }
 *
 * and obligations name them like built-ins (`{"detector": "employee_id", "style": "hash"}`). A
 * pattern runs on the folded text (Unicode digits as ASCII, see normalize.ts); `keywords`, when
 * given, skip the pattern on strings containing none of them (a cheap prefilter: custom patterns
 * are one extra regex pass each); `group` masks one capture group instead of the whole match.
 */
import { z } from 'zod';
import { RegateError } from '../errors.ts';
import type { Hit } from './scanner.ts';
import { BUILTIN_DETECTORS } from './scanner.ts';
import { fold, toOriginalRange } from './normalize.ts';
import { VALIDATORS } from './validators.ts';

export const customDetectorSchema = z.strictObject({
  pattern: z.string().min(1).max(2000),
  flags: z.string().regex(/^[imsu]*$/, 'only i, m, s and u').default(''),
  validator: z.enum(Object.keys(VALIDATORS) as [string, ...string[]]).optional(),
  keywords: z.array(z.string().min(1)).optional(),
  group: z.number().int().min(0).default(0),
});

export const customDetectorsSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lowercase letters, digits and _, starting with a letter'),
  customDetectorSchema,
);

export type CustomDetectorSpec = z.input<typeof customDetectorSchema>;

/** A compiled custom detector. */
export interface CustomDetector {
  readonly name: string;
  readonly regex: RegExp;
  readonly validate?: (s: string) => boolean;
  readonly keywords?: readonly string[];
  readonly group: number;
}

/** Validates and compiles custom detectors; throws REGATE_ERR_MASK_OBLIGATION naming the bad one. */
export function compileCustomDetectors(specs: unknown): CustomDetector[] {
  if (specs === undefined || specs === null) return [];
  const parsed = customDetectorsSchema.safeParse(specs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `custom detector ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return Object.entries(parsed.data).map(([name, spec]) => {
    if ((BUILTIN_DETECTORS as readonly string[]).includes(name)) {
      throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `custom detector ${name}: shadows a built-in detector`);
    }
    let regex: RegExp;
    try {
      regex = new RegExp(spec.pattern, `${spec.flags}g`);
    } catch (err) {
      throw new RegateError('REGATE_ERR_MASK_OBLIGATION', `custom detector ${name}: ${(err as Error).message}`);
    }
    const validate = spec.validator ? VALIDATORS[spec.validator] : undefined;
    return { name, regex, group: spec.group, ...(validate ? { validate } : {}), ...(spec.keywords ? { keywords: spec.keywords } : {}) };
  });
}

/** Reads `data.regate.masking.detectors` from a bundle's data document and compiles it. */
export function customDetectorsFromData(data: unknown): CustomDetector[] {
  const get = (v: unknown, k: string): unknown => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined);
  return compileCustomDetectors(get(get(get(data, 'regate'), 'masking'), 'detectors'));
}

/** Hits of the given custom detectors in `s`, in original offsets. */
export function scanCustom(s: string, detectors: readonly CustomDetector[]): Hit[] {
  const hits: Hit[] = [];
  if (detectors.length === 0 || s.length === 0) return hits;
  const f = fold(s);
  for (const d of detectors) {
    if (d.keywords && !d.keywords.some((k) => f.text.includes(k))) continue;
    d.regex.lastIndex = 0;
    for (const m of f.text.matchAll(d.regex)) {
      const whole = m[0];
      if (whole.length === 0) continue;
      const part = m[d.group];
      if (part === undefined || part.length === 0) continue;
      if (d.validate && !d.validate(part)) continue;
      const start = m.index + (d.group === 0 ? 0 : whole.indexOf(part));
      const [os, oe] = toOriginalRange(f, start, start + part.length);
      hits.push({ start: os, end: oe, detector: d.name });
    }
  }
  return hits;
}
