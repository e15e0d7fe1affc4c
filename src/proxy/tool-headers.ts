import type { ConnectionConfig } from '../config/schema.ts';
import { headerParamsFromToolsList, type HeaderParam, type ToolHeaderParams } from '../mcp/mcp-headers.ts';

/**
 * The `x-mcp-header` parameters of each connection's tools, learned from the upstream's own
 * `tools/list` answers (never from the client), so regate can check a 2026 client's
 * `Mcp-Param-*` headers and compute the ones it sends upstream. One table per configured
 * connection (keyed by its config object, as the forwarders' targets are), bounded: past the cap
 * the oldest-learned tool is forgotten first, and a forgotten tool only means regate sends no
 * `Mcp-Param-*` for it until the next listing teaches it again.
 */
const MAX_TOOLS_PER_CONNECTION = 10_000;

const tables = new WeakMap<ConnectionConfig, Map<string, readonly HeaderParam[]>>();

function tableOf(connection: ConnectionConfig): Map<string, readonly HeaderParam[]> {
  let table = tables.get(connection);
  if (table === undefined) tables.set(connection, (table = new Map()));
  return table;
}

/** Learns the header parameters of every valid tool in one page of a `tools/list` result. */
export function learnToolHeaders(connection: ConnectionConfig, result: unknown): void {
  const table = tableOf(connection);
  for (const [name, params] of headerParamsFromToolsList(result)) {
    table.delete(name); // re-inserted last: the most recently listed tools are kept longest
    table.set(name, params);
    if (table.size > MAX_TOOLS_PER_CONNECTION) table.delete(table.keys().next().value as string);
  }
}

/** The lookup for one connection: a tool's learned header parameters, undefined when unknown. */
export function toolHeadersOf(connection: ConnectionConfig): ToolHeaderParams {
  const table = tableOf(connection);
  return (tool) => table.get(tool);
}
