/**
 * The policy engine's public surface, for the proxy and the composition root: build the input of
 * a message, decide with the active bundle, filter list results, log the decision. Everything
 * else in this folder is an implementation detail.
 */
export { DECISION_ENTRYPOINT, readBundle, type Bundle, type Manifest, type ReadBundleOptions } from './bundle/read-bundle.ts';
export { loadVerificationKey, parseVerificationKey, type SignatureAlgorithm, type VerificationKey } from './bundle/keys.ts';
export type { VerificationOptions } from './bundle/verify.ts';
export { policyConfigSchema, policyRuntimeOptions, type PolicyConfig, type PolicyMode, type PolicyRuntimeOptions } from './config.ts';
export {
  FAIL_CLOSED_RULE, outcomeOf,
  type ApprovalObligation, type AuditObligation, type DecisionOutcome, type MaskObligation, type PolicyDecision,
} from './decision.ts';
export { decisionLogRecord, type DecisionLogRecord } from './decision-log.ts';
export { PolicyEngine, type EngineOptions, type EngineStats } from './engine.ts';
export {
  buildPolicyInput, DEFAULT_HEADER_ALLOWLIST, HTTP_OPERATION_METHODS, RESPONSE_METHOD,
  type ApprovalInput, type HttpOperation, type InputContext, type PolicyInput, type ToolAnnotations,
} from './input.ts';
export { filterListResult, isFilteredList, probeFor, type FilteredList, type ListMethod, type ListProbe } from './list-filter.ts';
export { PolicyManager, type ActivePolicy, type PolicyManagerOptions } from './manager.ts';
export { FileBundleSource, type FileSourceOptions } from './sources/file-source.ts';
export { HttpBundleSource, type HttpSourceOptions } from './sources/http-source.ts';
export type { BundleSource, SourceLogger } from './sources/source.ts';
