/**
 * Reads an MCP answer the way a client does, whatever its framing: a JSON body (one message or a
 * batch) or an SSE stream (one event at a time, with when it arrived and the comments between).
 */
export interface StreamItem {
  /** Milliseconds since the request was sent. */
  readonly at: number;
  readonly kind: 'message' | 'comment';
  readonly message?: Record<string, unknown>;
  readonly text?: string;
}

/** POSTs a JSON-RPC body and reads the whole answer as timed items. */
export async function postMcp(
  url: string,
  body: unknown,
  o: { headers?: Record<string, string>; accept?: string; signal?: AbortSignal } = {},
): Promise<{ status: number; headers: Headers; items: StreamItem[] }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: o.accept ?? 'application/json, text/event-stream', ...o.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const items: StreamItem[] = [];
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    const text = await res.text();
    if (text) {
      const v = JSON.parse(text) as Record<string, unknown> | Record<string, unknown>[];
      for (const m of Array.isArray(v) ? v : [v]) items.push({ at: performance.now() - started, kind: 'message', message: m });
    }
    return { status: res.status, headers: res.headers, items };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const at = performance.now() - started;
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (block.startsWith(':')) items.push({ at, kind: 'comment', text: block.slice(1) });
        else if (data) {
          const v = JSON.parse(data) as Record<string, unknown> | Record<string, unknown>[];
          for (const m of Array.isArray(v) ? v : [v]) items.push({ at, kind: 'message', message: m });
        }
      }
    }
  } catch (err) {
    // A stream cut mid-way ends here; what arrived before is kept.
    if ((err as Error).name === 'AbortError') throw err;
  }
  return { status: res.status, headers: res.headers, items };
}

/** The JSON-RPC messages of an answer, in arrival order. */
export const messagesOf = (items: readonly StreamItem[]) => items.filter((i) => i.kind === 'message').map((i) => i.message!);
