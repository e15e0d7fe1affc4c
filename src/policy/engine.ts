/**
 * The in-process policy engine: one bundle's policy.wasm instantiated with
 * @open-policy-agent/opa-wasm and evaluated at the regate/decision entrypoint. `evaluate` never
 * throws: anything but a well-formed decision becomes a deny with rule `regate.fail_closed`.
 *
 * Memory: OPA's ABI >= 1.2 entrypoint (`opa_eval`) resets the WASM heap to just after the data on
 * every call, so a steady stream of evaluations stays flat. (npm-opa-wasm issue #143 reported
 * growth on this path; with opa 1.22 bundles it does not reproduce: the unit tests check the
 * memory size over thousands of evaluations, scripts/bench-policy.ts RSS over a million.) What
 * remains is that WebAssembly memory never shrinks: one huge input would keep its pages forever.
 * So memory has a hard maximum (an input needing more fails closed) and the instance is recreated
 * from the compiled module whenever an evaluation leaves memory above a reset threshold, or after
 * any failure (an aborted evaluation may leave the runtime's state inconsistent).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { RegateError } from '../errors.ts';
import { DECISION_ENTRYPOINT, type Bundle } from './bundle/read-bundle.ts';
import { projectingSerializer } from './projection/projection.ts';
import { failClosedResult, outcomeOf, parseResultSet, type PolicyDecision, type PolicyResult } from './decision.ts';
import { describeThrown, wasmError } from './wasm-error.ts';

// The package's ESM entry exports only loadPolicy; the synchronous loader (needed to recreate an
// instance in the middle of an evaluation) is on its CommonJS entry.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

const PAGE = 64 * 1024;

export interface EngineOptions {
  /** Hard cap on the WASM memory; an evaluation that needs more is denied. Default 256 MiB. */
  readonly maxMemoryBytes?: number;
  /**
   * Recreate the instance when an evaluation leaves the memory this much larger than it was right
   * after loading the data. Default 32 MiB.
   */
  readonly resetGrowthBytes?: number;
  /** Validated results kept by their JSON text (decisions repeat: same tool, same outcome). Default 1024. */
  readonly resultCacheSize?: number;
  /**
   * Hand the policy only the input paths the bundle's projection lists (when it has one).
   * Default true; false evaluates the whole input (same decisions, slower).
   */
  readonly projectInput?: boolean;
}

export interface EngineStats {
  readonly evaluations: number;
  /** Evaluations that ended in a fail-closed deny. */
  readonly failures: number;
  /** Times the WASM instance was recreated (memory reset or recovery after a failure). */
  readonly resets: number;
  readonly memoryBytes: number;
}

type ValidatedResult = PolicyResult & { error?: PolicyDecision['error'] };

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The slice of the WebAssembly API used here. The project's lib settings (ES2024, no DOM) do not
 * declare the WebAssembly namespace, so it is typed locally.
 */
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface OpaExports {
  opa_eval(reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heap: number, format: number): number;
}

/** A compiled bundle ready to decide; immutable apart from its WASM instance. */
export class PolicyEngine {
  /** Manifest revision of the bundle ('' when it has none). */
  readonly revision: string;
  /** Whether the bundle's signature was verified. */
  readonly signed: boolean;
  /**
   * The bundle's `data.regate.masking` (custom detectors published with the policy), parsed once;
   * undefined when the bundle has none.
   */
  readonly maskingData: unknown;
  readonly #module: WasmModule;
  readonly #data: ArrayBuffer;
  readonly #maxPages: number;
  readonly #resetGrowth: number;
  /** Memory size above which an evaluation triggers a reset (baseline after data + growth). */
  #resetAbove = 0;
  readonly #cacheSize: number;
  /** Input -> the JSON text handed to the policy (only the projected paths when there is a projection). */
  readonly #serialize: (input: unknown) => string | undefined;
  /** Whether inputs are projected before evaluation. */
  readonly projected: boolean;
  /** Result JSON text -> validated, frozen result; insertion-ordered, so the oldest goes first. */
  readonly #results = new Map<string, ValidatedResult>();
  #policy: LoadedPolicy;
  #entrypoint: number;
  #evaluations = 0;
  #failures = 0;
  #resets = 0;

  private constructor(module: WasmModule, bundle: Bundle, options: EngineOptions) {
    this.revision = bundle.revision;
    this.signed = bundle.signed;
    this.maskingData = maskingDataOf(bundle.dataJson);
    this.#module = module;
    const data = encoder.encode(bundle.dataJson);
    this.#data = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    this.#maxPages = Math.max(2, Math.floor((options.maxMemoryBytes ?? 256 * 1024 * 1024) / PAGE));
    this.#resetGrowth = options.resetGrowthBytes ?? 32 * 1024 * 1024;
    this.#cacheSize = options.resultCacheSize ?? 1024;
    this.projected = options.projectInput !== false && bundle.inputProjection !== undefined;
    this.#serialize = projectingSerializer(this.projected ? bundle.inputProjection : undefined);
    const { policy, entrypoint } = this.#instantiate();
    this.#policy = policy;
    this.#entrypoint = entrypoint;
  }

  /** Compiles and instantiates a bundle's policy; throws REGATE_ERR_POLICY_LOAD if it cannot decide at all. */
  static async fromBundle(bundle: Bundle, options: EngineOptions = {}): Promise<PolicyEngine> {
    let module: WasmModule;
    try {
      module = await wasmApi.compile(bundle.wasm);
    } catch (err) {
      throw wasmError('REGATE_ERR_POLICY_LOAD', err, 'policy.wasm does not compile');
    }
    const engine = new PolicyEngine(module, bundle, options);
    // A smoke evaluation: a policy that aborts, or returns a malformed decision, on an empty input
    // is not worth swapping in (undefined is fine: the policy may simply not speak about it).
    let smoke: ValidatedResult;
    try {
      smoke = parseResultSet(JSON.parse(engine.#evaluateRaw({})));
    } catch (err) {
      throw wasmError('REGATE_ERR_POLICY_LOAD', err, 'policy fails on an empty input');
    }
    if (smoke.error?.code === 'REGATE_ERR_POLICY_RESULT') {
      throw new RegateError('REGATE_ERR_POLICY_LOAD', `policy returns a malformed decision for an empty input: ${smoke.error.detail}`);
    }
    return engine;
  }

  #instantiate(): { policy: LoadedPolicy; entrypoint: number } {
    let policy: LoadedPolicy;
    try {
      policy = loadPolicySync(this.#module, { initial: 5, maximum: this.#maxPages });
      policy.setData(this.#data);
    } catch (err) {
      throw wasmError('REGATE_ERR_POLICY_LOAD', err, 'cannot instantiate policy.wasm with its data');
    }
    // The data can be large (it is parsed into WASM memory); only growth beyond it is reclaimed.
    this.#resetAbove = (policy.mem as WasmMemory).buffer.byteLength + this.#resetGrowth;
    const entrypoints = policy.entrypoints as Record<string, number>;
    const entrypoint = entrypoints[DECISION_ENTRYPOINT];
    if (entrypoint === undefined) {
      throw new RegateError('REGATE_ERR_POLICY_LOAD', `policy.wasm has no ${DECISION_ENTRYPOINT} entrypoint (has: ${Object.keys(entrypoints).join(', ') || 'none'})`);
    }
    return { policy, entrypoint };
  }

  #reset(): void {
    const { policy, entrypoint } = this.#instantiate();
    this.#policy = policy;
    this.#entrypoint = entrypoint;
    this.#resets++;
  }

  /**
   * Evaluates through OPA's single-call entrypoint, writing the input straight into WASM memory
   * and finding the result's end with a native search: opa-wasm's evaluate() does the same call
   * but copies the input twice and scans for the NUL byte in a JS loop (a third of the time).
   */
  #evaluateRaw(input: unknown): string {
    const p = this.#policy;
    const json = this.#serialize(input);
    if (json === undefined) throw new RegateError('REGATE_ERR_POLICY_EVAL', 'input is not JSON-serialisable');
    if (!(p.minorVersion >= 2)) return JSON.stringify(p.evaluate(JSON.parse(json), this.#entrypoint));
    const mem = p.mem as WasmMemory;
    const addr: number = p.dataHeapPtr;
    let view = new Uint8Array(mem.buffer);
    let { read, written } = encoder.encodeInto(json, view.subarray(addr));
    if (read < json.length) {
      const missing = addr + Buffer.byteLength(json) - mem.buffer.byteLength;
      mem.grow(Math.ceil(missing / PAGE)); // RangeError beyond the maximum: fails closed
      view = new Uint8Array(mem.buffer);
      ({ written } = encoder.encodeInto(json, view.subarray(addr)));
    }
    const exports = (p.wasmInstance as { exports: unknown }).exports as OpaExports;
    const out = exports.opa_eval(0, this.#entrypoint, p.dataAddr, addr, written, addr + written, 0);
    view = new Uint8Array(mem.buffer); // the evaluation may have grown (and so replaced) the buffer
    const end = view.indexOf(0, out);
    return decoder.decode(view.subarray(out, end === -1 ? view.length : end));
  }

  /**
   * Parses and validates a result set, reusing the validation of an identical earlier result:
   * JSON.parse plus the schema check cost as much as the policy itself, and most decisions repeat.
   */
  #validate(text: string): ValidatedResult {
    const cached = this.#results.get(text);
    if (cached !== undefined) return cached;
    const result = deepFreeze(parseResultSet(JSON.parse(text)));
    if (this.#cacheSize > 0) {
      if (this.#results.size >= this.#cacheSize) this.#results.delete(this.#results.keys().next().value as string);
      this.#results.set(text, result);
    }
    return result;
  }

  /** Decides one input; never throws (fail closed). */
  evaluate(input: object): PolicyDecision {
    const started = process.hrtime.bigint();
    this.#evaluations++;
    let result: ValidatedResult;
    try {
      result = this.#validate(this.#evaluateRaw(input));
      if ((this.#policy.mem as WasmMemory).buffer.byteLength > this.#resetAbove) this.#reset();
    } catch (err) {
      result = failClosedResult('REGATE_ERR_POLICY_EVAL', describeThrown(err));
      try {
        this.#reset();
      } catch {
        // The module instantiated before, so this cannot really fail; if it does, the next
        // evaluation fails (closed) again and the manager's next bundle replaces this engine.
      }
    }
    if (result.error !== undefined) this.#failures++;
    const duration_us = Number(process.hrtime.bigint() - started) / 1000;
    return { ...result, outcome: outcomeOf(result), revision: this.revision, decision_id: randomUUID(), duration_us };
  }

  /** Counters and memory size, for metrics and /readyz. */
  stats(): EngineStats {
    return {
      evaluations: this.#evaluations,
      failures: this.#failures,
      resets: this.#resets,
      memoryBytes: (this.#policy.mem as WasmMemory).buffer.byteLength,
    };
  }
}

/** `data.regate.masking` of a bundle's data document, if any (a malformed one is the bundle's problem: none). */
function maskingDataOf(dataJson: string): unknown {
  try {
    const data = JSON.parse(dataJson) as { regate?: { masking?: unknown } } | null;
    return data?.regate?.masking;
  } catch {
    return undefined;
  }
}
