/**
 * A local HTTPS fake of the Azure Monitor Logs query API, as `@azure/monitor-query-logs`
 * `LogsQueryClient.queryWorkspace` calls it (read from the package source):
 * `POST {endpoint}/workspaces/{workspaceId}/query` (endpoint default https://api.loganalytics.io/v1)
 * with a bearer token for scope https://api.loganalytics.io/.default and a JSON body
 * `{ query, timespan: "<start ISO>/<end ISO>" }`; the answer is 200
 * `{ tables: [{ name: "PrimaryResult", columns: [{name, type}], rows: [[...]] }] }` with datetimes
 * as ISO strings, dynamic values as JSON text, and empty strings for missing string cells.
 *
 * It understands exactly the KQL regate sends (src/audit/review/log-analytics-source.ts):
 * `<table> [| where session_id == "<id>"] | project <columns> | take <n>`; the timespan selects rows by TimeGenerated (the
 * event's `time`, as the DCR transformation sets it). Anything else is a 400.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { COLUMN_TYPES } from '../../src/audit/columns.ts';
import type { TranscriptEvent } from '../../src/audit/event.ts';
import type { AzureFakes } from './azure-fakes.ts';
import { testCa } from './test-ca.ts';

export class LogQueryFake {
  readonly workspaceId = '0b0b0b0b-1111-2222-3333-444444444444';
  /** The rows of RegateTranscripts_CL (duplicates allowed, as ingestion stores them). */
  readonly rows: TranscriptEvent[] = [];
  /** Every query received: its KQL and timespan. */
  readonly queries: { query: string; timespan: string }[] = [];
  readonly #server: https.Server;
  readonly #tokens: AzureFakes;
  url = '';

  private constructor(server: https.Server, tokens: AzureFakes) {
    this.#server = server;
    this.#tokens = tokens;
  }

  static async start(tokens: AzureFakes): Promise<LogQueryFake> {
    const ca = await testCa();
    let fake!: LogQueryFake;
    const server = https.createServer({ key: ca.keyPem, cert: ca.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    fake = new LogQueryFake(server, tokens);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: string): void {
    const json = (status: number, doc: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    };
    const fail = (status: number, code: string, message: string) => json(status, { error: { code, message } });
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method !== 'POST' || path !== `/v1/workspaces/${this.workspaceId}/query`) return fail(404, 'PathNotFound', `no route ${req.method} ${path}`);
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !this.#tokens.isIssued(auth.slice(7))) return fail(401, 'InvalidAuthenticationTokenAudience', 'missing or unknown token');
    let doc: { query?: unknown; timespan?: unknown };
    try {
      doc = JSON.parse(body) as typeof doc;
    } catch {
      return fail(400, 'BadArgumentError', 'body is not JSON');
    }
    if (typeof doc.query !== 'string' || typeof doc.timespan !== 'string') return fail(400, 'BadArgumentError', 'query and timespan are required');
    this.queries.push({ query: doc.query, timespan: doc.timespan });
    const m = /^(\w+)(?:\n\| where session_id == "((?:[^"\\]|\\.)*)")?\n\| project ([\w, ]+)\n\| take (\d+)$/.exec(doc.query);
    const [start, end] = doc.timespan.split('/').map((t) => Date.parse(t));
    if (m === null || start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end)) {
      return fail(400, 'SemanticError', `the fake understands '<table> | project ... | take n' with an absolute timespan, not: ${doc.query}`);
    }
    if (m[1] !== 'RegateTranscripts_CL') return fail(400, 'SemanticError', `'${m[1]}' is not a table`);
    const session = m[2] === undefined ? undefined : m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
    const columns = (m[3] ?? '').split(',').map((c) => c.trim()) as (keyof typeof COLUMN_TYPES)[];
    for (const c of columns) if (!(c in COLUMN_TYPES)) return fail(400, 'SemanticError', `unknown column ${c}`);
    const picked = this.rows.filter((e) => {
      const t = Date.parse(e.time);
      return t >= start && t < end && (session === undefined || e.session_id === session);
    }).slice(0, Number(m[4]));
    const cell = (e: TranscriptEvent, c: keyof typeof COLUMN_TYPES): unknown => {
      const v = (e as Record<string, unknown>)[c];
      const type = COLUMN_TYPES[c];
      if (v === undefined) return type === 'string' ? '' : null;
      if (type === 'dynamic') return JSON.stringify(v);
      if (type === 'datetime') return new Date(v as string).toISOString();
      return v;
    };
    json(200, {
      tables: [{ name: 'PrimaryResult', columns: columns.map((name) => ({ name, type: COLUMN_TYPES[name] })), rows: picked.map((e) => columns.map((c) => cell(e, c))) }],
    });
  }
}
