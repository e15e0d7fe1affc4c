/**
 * The one HTTP seam of the identity layer. Production passes nothing and gets the global `fetch`
 * (Node's bundled CAs, plus `NODE_EXTRA_CA_CERTS` / `--use-system-ca` if the operator sets them);
 * tests inject a fetch that trusts their throwaway CA, without touching process-wide TLS state.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The default fetch: the runtime's global one. */
export const defaultFetch: FetchLike = (url, init) => fetch(url, init);

/** Fetches a JSON document with a timeout; throws an Error naming the URL on any failure. */
export async function fetchJson(fetchImpl: FetchLike, url: string, timeoutMs: number, init: RequestInit = {}): Promise<unknown> {
  const response = await fetchImpl(url, {
    ...init,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} from ${url}`);
  }
  try {
    return await response.json();
  } catch (cause) {
    throw new Error(`${url} did not return JSON`, { cause });
  }
}
