/**
 * The masking library's public surface (pure: no HTTP, no I/O). A pipeline stage builds one
 * planner per bundle and configuration, asks it for the plan of each decision, and masks every
 * server -> client message of the call with `maskMessage`.
 */
export { maskingConfigSchema, maskingOptions, type MaskingConfig, type MaskingOptions } from './config.ts';
export { compileCustomDetectors, customDetectorsFromData, type CustomDetector, type CustomDetectorSpec } from './custom.ts';
export { assertMaskable, maskMessage, maskValue, type MaskCounts, type MaskResult } from './mask.ts';
export { compileMaskPlan, createMaskPlanner, maskAllPlan, type MaskPlan, type MaskPlanner, type PlanOptions } from './plan.ts';
export { BUILTIN_DETECTORS, type BuiltinDetector } from './scanner.ts';
