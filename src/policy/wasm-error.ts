/**
 * opa-wasm and OPA's WASM runtime throw strings (opa_abort messages such as "opa_malloc: failed"),
 * plain objects, RangeErrors (memory beyond its maximum) or WebAssembly.RuntimeErrors. This turns
 * any of them into a RegateError with a readable detail.
 */
import { RegateError, type ErrorCode } from '../errors.ts';

/** A one-line description of whatever the WASM layer threw. */
export function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  if (thrown !== null && typeof thrown === 'object' && typeof (thrown as { message?: unknown }).message === 'string') {
    return (thrown as { message: string }).message;
  }
  return String(thrown);
}

/** Wraps a thrown value as a typed RegateError (kept as the cause). */
export function wasmError(code: ErrorCode, thrown: unknown, context?: string): RegateError {
  if (thrown instanceof RegateError) return thrown;
  const detail = describeThrown(thrown);
  return new RegateError(code, context ? `${context}: ${detail}` : detail, { cause: thrown });
}
