/**
 * Gateways with approvals enabled that accept each other's dev tokens (one dev key file), for
 * approval tests across replicas; and a counting upstream standing in for the CRM.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TranscriptEvent } from '../../src/audit/event.ts';
import { startGateway, type Gateway } from '../../src/compose.ts';
import { buildConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { authConfigSchema } from '../../src/identity/config.ts';
import { createDevProvider } from '../../src/identity/create.ts';
import type { DevProvider } from '../../src/identity/dev-provider.ts';
import { startRawUpstream, type RawUpstream } from '../fixtures/raw-upstream.ts';
import { COMMITTED_BUNDLE, REPO } from './gateway.ts';
import { spawnPeer, type ChildPeer } from './peers.ts';
import { freePort, waitUntil } from './ports.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');

/** A directory for one test's shared dev key. */
export async function sharedKeyFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'regate-approvals-')), 'dev-key.json');
}

export interface ApprovalGateway extends Gateway {
  readonly url: string;
  token(sub: string, groups: string[], name?: string): Promise<string>;
  stop(): Promise<void>;
  /** The recorded events, once the gateway has stopped (stopping flushes them). */
  transcript(): Promise<TranscriptEvent[]>;
}

/** Starts a gateway with dev auth on `keyFile` and the given document (listen and auth filled in). */
export async function startApprovalGateway(doc: Omit<ConfigInput, 'listen' | 'auth'>, keyFile: string): Promise<ApprovalGateway> {
  // Transcripts go to a scratch directory (read back with `transcript()` after `stop()`).
  const scratch = await mkdtemp(join(tmpdir(), 'regate-approvals-'));
  const audit = { file: { path: join(scratch, 'transcripts.jsonl') }, buffer: { spill_path: join(scratch, 'buffer.jsonl') } };
  const config = buildConfig({ audit, ...doc, listen: { host: '127.0.0.1', port: 0 }, auth: { provider: 'dev', dev: { enabled: true, key_file: keyFile } } }, {});
  const gw = await startGateway(config, { baseDir: REPO, log: createLogger(process.env.REGATE_TEST_LOG ?? 'silent') });
  return {
    ...gw,
    url: gw.regate.url,
    token: (sub, groups, name) => gw.identity.dev!.mint({ sub, groups, ...(name !== undefined ? { name } : {}) }),
    stop: () => gw.regate.stop(),
    transcript: async () => {
      const text = await readFile(join(scratch, 'transcripts.jsonl'), 'utf8').catch(() => '');
      return text.trim() === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l) as TranscriptEvent);
    },
  };
}

/**
 * An upstream that answers every request and counts tools/call by tool name. `sessions`: its
 * `initialize` answer issues an `Mcp-Session-Id` (as a session server does), and GET and DELETE are
 * answered 405 and 200.
 */
export async function startCountingUpstream(o: { readonly sessions?: boolean } = {}): Promise<RawUpstream & { calls(tool: string): number }> {
  const counts = new Map<string, number>();
  const up = await startRawUpstream((req, res, body) => {
    if (o.sessions && req.method === 'GET') return void res.writeHead(405).end();
    if (o.sessions && req.method === 'DELETE') return void res.writeHead(200).end();
    const m = JSON.parse(body) as { id?: unknown; method?: string; params?: { name?: string; arguments?: unknown } };
    if (m.id === undefined) return void res.writeHead(202).end();
    if (m.method === 'tools/call') counts.set(m.params?.name ?? '', (counts.get(m.params?.name ?? '') ?? 0) + 1);
    const result =
      m.method === 'tools/call' ? { content: [{ type: 'text', text: `ran ${m.params?.name} ${JSON.stringify(m.params?.arguments)}` }] }
      : m.method === 'initialize' ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'counting-crm', version: '1.0.0' } }
      : m.method === 'tools/list' ? { tools: [{ name: 'delete_customer', inputSchema: { type: 'object' } }] }
      : {};
    const session = o.sessions && m.method === 'initialize' ? { 'mcp-session-id': `s-${counts.size}-${Math.random().toString(36).slice(2)}` } : {};
    res.writeHead(200, { 'content-type': 'application/json', ...session }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
  });
  return Object.assign(up, { calls: (tool: string) => counts.get(tool) ?? 0 });
}

/** A tools/call request body. */
export function toolCall(id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } };
}

/** Calls the approvals API. */
export async function api(base: string, token: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Polls `GET /approvals` as `token` until a pending approval shows (bounded). */
export async function waitForPending(base: string, token: string, timeoutMs = 10_000): Promise<Array<Record<string, unknown>>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api(base, token, '/approvals');
    const list = json.approvals as Array<Record<string, unknown>>;
    if (list.length > 0) return list;
    if (Date.now() > until) throw new Error('no pending approval showed up');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for the first pending approval on `gw`, approves it as an `mcp-approvers` member, and returns it as listed. */
export async function approveFirstPending(gw: ApprovalGateway): Promise<Record<string, unknown>> {
  const approver = await gw.token('boss', ['mcp-approvers'], 'Boss');
  const [pending] = await waitForPending(gw.url, approver);
  const { status } = await api(gw.url, approver, `/approvals/${String(pending!.id)}/approve`, { comment: 'ok' });
  if (status !== 200) throw new Error(`approving ${String(pending!.id)} answered ${status}`);
  return pending!;
}

/** A `regate serve` process with approvals, sharing `keyFile` (dev tokens) and `redisUrl` with its peers. */
export interface Replica {
  readonly peer: ChildPeer;
  readonly url: string;
}

/**
 * Starts one `regate serve` replica on a free port in front of `upstreamUrl`, with the committed
 * bundle (and any `extraConfig` lines of YAML), and resolves once /readyz answers 200 (the output
 * is in the error otherwise).
 */
export async function startReplica(o: { name: string; upstreamUrl: string; redisUrl: string; keyFile: string; approvals: string; logLevel?: string; extraConfig?: readonly string[] }): Promise<Replica> {
  const port = await freePort();
  const file = join(dirname(o.keyFile), `${o.name}.yaml`);
  await writeFile(
    file,
    [
      `listen: { host: 127.0.0.1, port: ${port} }`,
      `connections: [ { name: crm, url: "${o.upstreamUrl}" } ]`,
      `auth: { provider: dev, dev: { enabled: true, key_file: ${o.keyFile} } }`,
      `redis: { url: "${o.redisUrl}" }`,
      `policy: { bundle: { path: ${COMMITTED_BUNDLE} } }`,
      `approvals: ${o.approvals}`,
      `logging: { level: ${o.logLevel ?? 'warn'} }`,
      ...(o.extraConfig ?? []),
    ].join('\n'),
  );
  const peer = spawnPeer(process.execPath, [MAIN, 'serve', '--config', file]);
  const url = `http://127.0.0.1:${port}`;
  const ready = async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
  await waitUntil(`regate ${o.name}`, ready, { timeoutMs: 30_000, abort: () => peer.exited() }).catch(async (err: Error) => {
    await peer.stop();
    throw new Error(`${err.message}\n${peer.output()}`);
  });
  return { peer, url };
}

/** A dev token signer reading the replicas' shared key file. */
export function devSigner(keyFile: string): Promise<DevProvider> {
  return createDevProvider(authConfigSchema.parse({ provider: 'dev', dev: { enabled: true, key_file: keyFile } }), { logger: { warn: () => {} } });
}
