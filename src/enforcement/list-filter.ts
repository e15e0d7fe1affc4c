/**
 * Which listing responses regate filters, and how one item becomes the request policy would see
 * if the principal used it: a tool becomes a `tools/call`, a prompt a `prompts/get`, a resource a
 * `resources/read`. An item is hidden only when that request would be denied outright; items that
 * need approval stay visible, since the principal can use them once approved.
 */
export interface ListKind {
  /** Field of the result holding the items. */
  readonly field: 'tools' | 'prompts' | 'resources';
  /** The request one item stands for. */
  asRequest(item: Record<string, unknown>): { method: string; params: Record<string, unknown> } | undefined;
}

export const listKinds: Readonly<Record<string, ListKind>> = {
  'tools/list': {
    field: 'tools',
    asRequest: (t) => (typeof t.name === 'string' ? { method: 'tools/call', params: { name: t.name, arguments: {} } } : undefined),
  },
  'prompts/list': {
    field: 'prompts',
    asRequest: (p) => (typeof p.name === 'string' ? { method: 'prompts/get', params: { name: p.name, arguments: {} } } : undefined),
  },
  'resources/list': {
    field: 'resources',
    asRequest: (r) => (typeof r.uri === 'string' ? { method: 'resources/read', params: { uri: r.uri } } : undefined),
  },
};
