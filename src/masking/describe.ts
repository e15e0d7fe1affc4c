/**
 * A readable summary of a decision's mask obligations, for `regate eval`: which paths and detectors
 * with which style, and whether regate can apply them (an obligation it cannot apply makes the
 * gateway fail closed: every detector, redacted).
 */
import { RegateError } from '../errors.ts';
import type { MaskObligation } from '../policy/decision.ts';
import { parsePath } from './paths.ts';
import { BUILTIN_DETECTORS } from './scanner.ts';
import { stricter, type MaskStyle } from './styles.ts';

export interface MaskSummary {
  readonly paths: Record<string, MaskStyle>;
  readonly detectors: Record<string, MaskStyle>;
  /** Detectors that are not built in: they must be defined in the bundle's data.regate.masking.detectors. */
  readonly custom_detectors: string[];
  /** Why regate could not apply the obligations as written (then it masks with every detector). */
  readonly invalid: string[];
}

/** Summarises obligations without compiling custom detectors (the bundle holds them). */
export function describeMasks(obligations: readonly MaskObligation[]): MaskSummary {
  const paths: Record<string, MaskStyle> = {};
  const detectors: Record<string, MaskStyle> = {};
  const custom = new Set<string>();
  const invalid: string[] = [];
  for (const o of obligations) {
    if ('detector' in o) {
      detectors[o.detector] = detectors[o.detector] ? stricter(detectors[o.detector] as MaskStyle, o.style) : o.style;
      if (!(BUILTIN_DETECTORS as readonly string[]).includes(o.detector)) custom.add(o.detector);
      continue;
    }
    try {
      parsePath(o.path);
      paths[o.path] = paths[o.path] ? stricter(paths[o.path] as MaskStyle, o.style) : o.style;
    } catch (err) {
      invalid.push(err instanceof RegateError ? (err.detail ?? err.message) : String(err));
    }
  }
  return { paths, detectors, custom_detectors: [...custom], invalid };
}
