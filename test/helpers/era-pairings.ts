/**
 * The era pairing table: v1 client (2025 only) and v2 client (`versionNegotiation: auto`) against
 * server-everything (v1 SDK, streamableHttp, 2025 sessions), the v2 server (`createMcpHandler`,
 * both eras) and the v2 strict modern-only endpoint. Each row says which era the pair negotiates
 * (or that it cannot connect at all) and runs the same MCP steps; `runPairing` returns a snapshot
 * that a test compares with the row's expectations (direct) or with the direct snapshot (through
 * regate). Targets are a parameter, so the same table runs direct and through a gateway:
 * `runPairing(row, { everything: `${regate}/mcp/everything`, v2: ..., v2Modern: ... })`.
 */
import { EVERYTHING, connectStreamableHttp } from './peers.ts';
import { V2, connectV2, type ElicitAnswer } from './v2-peers.ts';

export type PairingClient = 'v1' | 'v2-auto';
export type PairingServer = 'everything' | 'v2' | 'v2-modern';

export interface PairingRow {
  readonly name: string;
  readonly client: PairingClient;
  readonly server: PairingServer;
  /** The era the pair negotiates, or 'unreachable' when the client cannot connect at all. */
  readonly era: '2025' | '2026' | 'unreachable';
  /**
   * What V2's elicitation tool does: 'answered' (the client's handler confirms it), or
   * 'unavailable' (the v2 server's stateless 2025 fallback cannot send server->client requests,
   * so the tool answers an isError result naming the missing capability). Absent: not run.
   */
  readonly elicitation?: 'answered' | 'unavailable';
}

export const PAIRINGS: readonly PairingRow[] = [
  { name: 'v1 client x server-everything', client: 'v1', server: 'everything', era: '2025' },
  { name: 'v1 client x v2 server', client: 'v1', server: 'v2', era: '2025', elicitation: 'unavailable' },
  { name: 'v1 client x v2 modern-only endpoint', client: 'v1', server: 'v2-modern', era: 'unreachable' },
  { name: 'v2 client (auto) x server-everything', client: 'v2-auto', server: 'everything', era: '2025' },
  { name: 'v2 client (auto) x v2 server', client: 'v2-auto', server: 'v2', era: '2026', elicitation: 'answered' },
  { name: 'v2 client (auto) x v2 modern-only endpoint', client: 'v2-auto', server: 'v2-modern', era: '2026', elicitation: 'answered' },
];

/** Where each server kind is reached: the upstream itself, or regate's route to it. */
export type PairingTargets = Readonly<Record<PairingServer, string>>;

/** The elicitation answer the pairing steps give (confirms V2's `confirm-action`). */
export const PAIRING_ELICIT_ANSWER: ElicitAnswer = { action: 'accept', content: { confirm: true } };

/** The arguments the steps use, so expectations can be written from them. */
export const PAIRING_ARGS = {
  echo: { message: 'héllo across eras' },
  headerEcho: { region: 'eu-west-1', message: 'routed by header' },
  /** Not plain ASCII: the Mcp-Param-Region header goes Base64-sentinel encoded. */
  headerEchoUnicode: { region: 'zürich', message: 'encoded header' },
  confirm: { action: 'deploy' },
  prompt: { city: 'Paris' },
} as const;

/** What one pairing saw. Results are the SDK clients' return values, unmodified. */
export type PairingSnapshot =
  | { readonly connected: false; readonly error: string }
  | {
      readonly connected: true;
      readonly era: '2025' | '2026';
      readonly tools: string[];
      readonly echo: unknown;
      readonly resource: unknown;
      readonly prompt: unknown;
      /** v2 server only: the x-mcp-header tool, ASCII and non-ASCII. */
      readonly headerEcho?: unknown;
      readonly headerEchoUnicode?: unknown;
      /** v2 server only: the tool that elicits through input_required (2026) / the legacy shim (2025). */
      readonly confirm?: unknown;
      readonly elicitations: number;
    };

interface Session {
  era(): '2025' | '2026';
  listToolNames(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<unknown>;
  readResource(uri: string): Promise<unknown>;
  getPrompt(name: string, args: Record<string, string>): Promise<unknown>;
  elicitations(): number;
  close(): Promise<void>;
}

/** The calls the steps make; the v1 and v2 SDK clients both have them, with these shapes. */
interface StepClient {
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  readResource(params: { uri: string }): Promise<unknown>;
  getPrompt(params: { name: string; arguments: Record<string, string> }): Promise<unknown>;
}

function session(client: StepClient, era: () => '2025' | '2026', elicitations: () => number, close: () => Promise<void>): Session {
  return {
    era,
    listToolNames: async () => (await client.listTools()).tools.map((t) => t.name),
    callTool: (name, args) => client.callTool({ name, arguments: args }),
    readResource: (uri) => client.readResource({ uri }),
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }),
    elicitations,
    close,
  };
}

async function open(client: PairingClient, url: string, headers: Record<string, string>): Promise<Session> {
  if (client === 'v1') {
    // The v1 types narrow elicitation content to primitives; PAIRING_ELICIT_ANSWER's are.
    const c = await connectStreamableHttp(url, { headers, elicit: () => PAIRING_ELICIT_ANSWER as never });
    // The v1 SDK speaks only the 2025 era.
    return session(c.client, () => '2025', () => c.elicitations.length, () => c.close());
  }
  const c = await connectV2(url, { headers, elicit: () => PAIRING_ELICIT_ANSWER });
  return session(c.client, () => c.era(), () => c.elicitations.length, () => c.close());
}

/**
 * Connects the row's client to the row's server at `targets`, and runs tools/list, tools/call,
 * resources/read and prompts/get (plus, on the v2 server, the x-mcp-header tool and the
 * elicitation tool). A failed connect is a snapshot too (`connected: false`), not a throw.
 */
export async function runPairing(row: PairingRow, targets: PairingTargets, headers: Record<string, string> = {}): Promise<PairingSnapshot> {
  let session: Session;
  try {
    session = await open(row.client, targets[row.server], headers);
  } catch (err) {
    return { connected: false, error: (err as Error).message };
  }
  try {
    const onEverything = row.server === 'everything';
    const tools = (await session.listToolNames()).sort();
    const echo = await session.callTool(onEverything ? EVERYTHING.echoTool : V2.echoTool, PAIRING_ARGS.echo);
    const resource = await session.readResource(onEverything ? EVERYTHING.staticResource : V2.staticResource);
    const prompt = await session.getPrompt(onEverything ? EVERYTHING.argsPrompt : V2.argsPrompt, PAIRING_ARGS.prompt);
    if (onEverything) return { connected: true, era: session.era(), tools, echo, resource, prompt, elicitations: session.elicitations() };
    return {
      connected: true,
      era: session.era(),
      tools,
      echo,
      resource,
      prompt,
      headerEcho: await session.callTool(V2.headerTool, PAIRING_ARGS.headerEcho),
      headerEchoUnicode: await session.callTool(V2.headerTool, PAIRING_ARGS.headerEchoUnicode),
      confirm: await session.callTool(V2.elicitationTool, PAIRING_ARGS.confirm),
      elicitations: session.elicitations(),
    };
  } finally {
    await session.close();
  }
}

/** The text of a result's first content block (tools/call) or first message (prompts/get) or first contents entry (resources/read). */
export function firstText(result: unknown): string | undefined {
  const r = result as { content?: Array<{ text?: string }>; messages?: Array<{ content?: { text?: string } }>; contents?: Array<{ text?: string }> };
  return r.content?.[0]?.text ?? r.messages?.[0]?.content?.text ?? r.contents?.[0]?.text;
}
