/**
 * Opens a legacy HTTP+SSE stream on regate as a 2024-11-05 client does: reads up to the `endpoint`
 * event, then POSTs messages to the endpoint it names. Aborting `signal` closes the stream.
 */
export async function openLegacyStream(baseUrl: string, connection: string, signal: AbortSignal) {
  const res = await fetch(`${baseUrl}/sse/${connection}`, { headers: { accept: 'text/event-stream' }, signal });
  const reader = res.body!.getReader();
  let text = '';
  while (!/data: (\S+)\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  const endpoint = new URL(/data: (\S+)\n\n/.exec(text)![1]!, baseUrl);
  const post = (message: unknown) => fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  return { reader, post };
}
