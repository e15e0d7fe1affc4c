/**
 * Filtering of tools/list, prompts/list and resources/list results, so that a principal only sees
 * what policy would let it use. Each listed item is checked by asking policy about the call that
 * would use it (tools/call of the tool, with its annotations; prompts/get; resources/read), so the
 * list and the calls can never disagree. Items whose probe is denied are dropped; items that
 * would need approval stay visible. Each page is filtered on its own and `nextCursor` is kept, so
 * pagination works unchanged. Pure: the caller supplies `decide` (input building + evaluation).
 */
import type { PolicyDecision } from './decision.ts';
import type { ToolAnnotations } from './input.ts';
import { isRecord } from '../util/is-record.ts';

export type ListMethod = 'tools/list' | 'prompts/list' | 'resources/list';

/** A synthetic client message for one listed item, and the tool's annotations when it is a tool. */
export interface ListProbe {
  readonly message: Readonly<Record<string, unknown>>;
  readonly toolAnnotations?: ToolAnnotations;
}

export interface FilteredList {
  /** The result with denied items removed (other fields, e.g. nextCursor, untouched). */
  readonly result: Record<string, unknown>;
  /** Names (or URIs) of the items removed. */
  readonly hidden: readonly string[];
  /** For tools/list: the annotations of every listed tool, for the tools/call inputs that follow. */
  readonly toolAnnotations: ReadonlyMap<string, ToolAnnotations>;
}

const ITEMS: Record<ListMethod, { key: string; id: string; method: string; param: string }> = {
  'tools/list': { key: 'tools', id: 'name', method: 'tools/call', param: 'name' },
  'prompts/list': { key: 'prompts', id: 'name', method: 'prompts/get', param: 'name' },
  'resources/list': { key: 'resources', id: 'uri', method: 'resources/read', param: 'uri' },
};

/** True for the list methods whose results are filtered. */
export function isFilteredList(method: string): method is ListMethod {
  return Object.hasOwn(ITEMS, method);
}


/** The probe for one item of a list result. */
export function probeFor(method: ListMethod, item: Readonly<Record<string, unknown>>): ListProbe {
  const spec = ITEMS[method];
  const params: Record<string, unknown> = { [spec.param]: item[spec.id] };
  if (spec.method === 'tools/call') params['arguments'] = {};
  const message = { jsonrpc: '2.0', id: 'regate-list-probe', method: spec.method, params };
  const annotations = item['annotations'];
  return spec.method === 'tools/call' && isRecord(annotations) ? { message, toolAnnotations: annotations as ToolAnnotations } : { message };
}

/** Drops the items of a list result that policy would deny. */
export function filterListResult(method: ListMethod, result: Readonly<Record<string, unknown>>, decide: (probe: ListProbe) => PolicyDecision): FilteredList {
  const spec = ITEMS[method];
  const items = result[spec.key];
  const toolAnnotations = new Map<string, ToolAnnotations>();
  if (!Array.isArray(items)) return { result: { ...result }, hidden: [], toolAnnotations };
  const kept: unknown[] = [];
  const hidden: string[] = [];
  for (const item of items) {
    // An item regate cannot name cannot be checked, so it is not shown.
    if (!isRecord(item) || typeof item[spec.id] !== 'string') {
      hidden.push(String(isRecord(item) ? item[spec.id] : item));
      continue;
    }
    const probe = probeFor(method, item);
    if (probe.toolAnnotations !== undefined) toolAnnotations.set(item[spec.id] as string, probe.toolAnnotations);
    if (decide(probe).outcome === 'deny') hidden.push(item[spec.id] as string);
    else kept.push(item);
  }
  return { result: { ...result, [spec.key]: kept }, hidden, toolAnnotations };
}

/** The listing methods whose item arrays a `server/discover` result may carry, filtered the same way. */
const DISCOVER_LISTS: readonly ListMethod[] = ['tools/list', 'prompts/list', 'resources/list'];

/**
 * Filters a `server/discover` result (2026 era): each `tools`, `prompts` or `resources` array it
 * carries is filtered as the matching listing is; everything else (versions, capabilities,
 * instructions) is untouched. Hidden names are merged; tool annotations learned as for tools/list.
 */
export function filterDiscoverResult(result: Readonly<Record<string, unknown>>, decide: (probe: ListProbe) => PolicyDecision): FilteredList {
  let current: Record<string, unknown> = { ...result };
  const hidden: string[] = [];
  const toolAnnotations = new Map<string, ToolAnnotations>();
  for (const method of DISCOVER_LISTS) {
    if (!Array.isArray(current[ITEMS[method].key])) continue;
    const f = filterListResult(method, current, decide);
    current = f.result;
    hidden.push(...f.hidden);
    for (const [k, v] of f.toolAnnotations) toolAnnotations.set(k, v);
  }
  return { result: current, hidden, toolAnnotations };
}
