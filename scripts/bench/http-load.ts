/**
 * A small keep-alive HTTP load generator for loopback MCP benchmarks: `lanes` concurrent callers,
 * each in its own MCP session that it replaces every `rotateEvery` calls (so no per-session policy
 * limit is ever reached), bounded in time. A lane ends the session it replaces with DELETE, as a
 * well-behaved client does, and every lane ends its last one when the cell ends, so a caller never
 * holds more than one session at once (regate's per-principal session limit counts live ones). Every answer is classified (answer.ts): only calls that
 * came back with their own upstream answer count; denials and failures are tallied apart.
 */
import http from 'node:http';
import { classifyAnswer, type Outcome } from './answer.ts';

/** One way to reach the upstream: directly, through the bare proxy, or through regate. */
export interface Path {
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The stateless era has no session to replace, and policy counts a principal's calls per
   * connection there: a lane takes a new principal's headers instead (regate's path mints one).
   */
  readonly newPrincipal?: () => Promise<Readonly<Record<string, string>>>;
}

/** The `tools/call` for call number `n` and how to recognise its answer. */
export interface Workload {
  /** `through` is the path's name, for checks that differ by path (masking happens in regate only). */
  call(n: number, through: string): { readonly params: unknown; readonly expect: (result: Record<string, unknown>) => string | undefined };
  /**
   * '2026': the stateless 2026-07-28 era: no initialize and no session; every request carries the
   * `_meta` envelope and the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers.
   */
  readonly era?: '2026';
}

/** The 2026-07-28 request envelope the load generator sends (as the v2 SDK client does). */
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
};

/** A 2026-era tools/call: the params with the envelope, and the headers that mirror the body. */
export function modernToolsCall(params: unknown, headers: Readonly<Record<string, string>>): { params: unknown; headers: Record<string, string> } {
  const p = params as { name: string; _meta?: Record<string, unknown> };
  return {
    params: { ...p, _meta: { ...p._meta, ...ENVELOPE } },
    headers: { ...headers, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': p.name },
  };
}

/** What a cell of calls produced; `samples` are the latencies (ms) of the calls that counted. */
interface CellResult {
  readonly ok: number;
  readonly seconds: number;
  readonly samples: number[];
}

/** Denials (by rule) and failures over a whole run, per path. */
export class Tally {
  readonly denied = new Map<string, number>();
  failed = 0;
  readonly examples: string[] = [];

  add(o: Outcome): void {
    if (o.kind === 'denied') this.denied.set(o.rule, (this.denied.get(o.rule) ?? 0) + 1);
    if (o.kind === 'failed') {
      this.failed++;
      if (this.examples.length < 5) this.examples.push(o.detail);
    }
  }

  get deniedTotal(): number {
    let n = 0;
    for (const v of this.denied.values()) n += v;
    return n;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let counter = 0;

/** One DELETE ending `session`; a session the server had already forgotten (404) is ended too. */
function endSession(path: Path, session: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(path.url, { method: 'DELETE', agent, headers: { ...path.headers, 'mcp-session-id': session } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 300 || status === 404) resolve();
        else reject(new Error(`${path.name}: DELETE of a session answered HTTP ${status}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One POST; resolves to status, headers and body (never rejects on HTTP status). */
function post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<{ status: number; session: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) },
    });
    req.setNoDelay(true);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const s = res.headers['mcp-session-id'];
        resolve({ status: res.statusCode ?? 0, session: typeof s === 'string' ? s : undefined, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A new MCP session on the path (initialize + initialized); its id, if the server issued one. */
async function openSession(path: Path): Promise<string | undefined> {
  const init = await post(
    path.url,
    path.headers,
    JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  );
  if (init.status !== 200) throw new Error(`${path.name}: initialize answered HTTP ${init.status}: ${init.body.slice(0, 200)}`);
  const headers = init.session ? { ...path.headers, 'mcp-session-id': init.session } : path.headers;
  await post(path.url, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return init.session;
}

/**
 * One caller: its own session (2026 era: its own principal), replaced every `rotateEvery` calls
 * (outside any call's own timing).
 */
class Lane {
  headers: Readonly<Record<string, string>> = {};
  #used = 0;
  #session: string | undefined;
  readonly path: Path;
  readonly rotateEvery: number;
  readonly stateless: boolean;
  constructor(path: Path, rotateEvery: number, stateless: boolean) {
    this.path = path;
    this.rotateEvery = rotateEvery;
    this.stateless = stateless;
  }

  get due(): boolean {
    return this.#used >= this.rotateEvery;
  }

  async rotate(): Promise<void> {
    if (this.stateless) {
      // The 2026 era has no session to open: each request stands alone.
      this.headers = this.path.newPrincipal ? await this.path.newPrincipal() : this.path.headers;
      this.#used = 0;
      return;
    }
    await this.close();
    const session = await openSession(this.path);
    this.#session = session;
    this.headers = session ? { ...this.path.headers, 'mcp-session-id': session } : this.path.headers;
    this.#used = 0;
  }

  /** Ends the current session, if there is one (outside any call's timing). */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) await endSession(this.path, session);
  }

  /** Counts one call in the current session. */
  take(): Readonly<Record<string, string>> {
    this.#used++;
    return this.headers;
  }
}

/**
 * `concurrency` callers calling in a loop for `seconds`; `onStart` runs once the sessions are open,
 * right before the timed part (where the caller reads the proxy's CPU clock).
 */
export async function runCell(
  path: Path,
  workload: Workload,
  opts: { concurrency: number; seconds: number; rotateEvery: number; tally: Tally; onStart?: () => void },
): Promise<CellResult> {
  const lanes = Array.from({ length: opts.concurrency }, () => new Lane(path, opts.rotateEvery, workload.era === '2026'));
  for (const lane of lanes) await lane.rotate();
  const samples: number[] = [];
  opts.onStart?.();
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  await Promise.all(
    lanes.map(async (lane) => {
      while (performance.now() < end) {
        if (lane.due) await lane.rotate();
        const n = ++counter;
        const { params: plain, expect } = workload.call(n, path.name);
        const { params, headers } = workload.era === '2026' ? modernToolsCall(plain, lane.take()) : { params: plain, headers: lane.take() };
        const t0 = performance.now();
        const res = await post(path.url, headers, JSON.stringify({ jsonrpc: '2.0', id: n, method: 'tools/call', params }));
        const ms = performance.now() - t0;
        const outcome = classifyAnswer(res.status, res.body, n, expect);
        opts.tally.add(outcome);
        if (outcome.kind === 'ok') samples.push(ms);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(lanes.map((lane) => lane.close()));
  return { ok: samples.length, seconds, samples };
}
