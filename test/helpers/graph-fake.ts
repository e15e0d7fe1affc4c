/**
 * A local HTTPS fake of Microsoft Graph's getMemberObjects, speaking the documented contract:
 * `POST /v1.0/{users|servicePrincipals}/{id}/getMemberObjects` with `Authorization: Bearer` and a
 * JSON body `{ "securityEnabledOnly": bool }`, answering `200 { "@odata.context", "value": [ids] }`
 * or Graph's error envelope `{ "error": { "code", "message" } }`.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './test-ca.ts';

export interface Membership {
  /** Security-enabled groups: returned for both values of securityEnabledOnly. */
  readonly security: readonly string[];
  /** Microsoft 365 groups, directory roles, administrative units: only when securityEnabledOnly is false. */
  readonly other?: readonly string[];
}

export interface GraphCall {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
  readonly status: number;
}

export class GraphFake {
  readonly url: string;
  readonly calls: GraphCall[] = [];
  readonly #server: https.Server;
  readonly #token: string;
  readonly #members = new Map<string, Membership>();
  #failures: number[] = [];

  private constructor(server: https.Server, url: string, token: string) {
    this.#server = server;
    this.url = url;
    this.#token = token;
  }

  /** Starts the fake; requests must carry `Authorization: Bearer <accessToken>`. */
  static async start(options: { ca: TestCa; accessToken: string }): Promise<GraphFake> {
    let self: GraphFake | undefined;
    const server = https.createServer({ key: options.ca.keyPem, cert: options.ca.certPem }, (req, res) => self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new GraphFake(server, `https://127.0.0.1:${port}`, options.accessToken);
    return self;
  }

  /** Declares the memberships of a user or service principal object id. */
  setMembership(collection: 'users' | 'servicePrincipals', id: string, membership: Membership): void {
    this.#members.set(`${collection}/${id.toLowerCase()}`, membership);
  }

  /** The next `count` requests fail with `status` (e.g. 503, 429) after authentication. */
  failNext(status: number, count = 1): void {
    this.#failures.push(...Array<number>(count).fill(status));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        body = raw;
      }
      const path = new URL(req.url ?? '/', this.url).pathname;
      const [status, payload] = this.answer(req, path, body);
      this.calls.push({ path, authorization: req.headers.authorization, body, status });
      res.writeHead(status, { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8' });
      res.end(JSON.stringify(payload));
    });
  }

  private answer(req: IncomingMessage, path: string, body: unknown): [number, unknown] {
    const error = (code: string, message: string) => ({ error: { code, message, innerError: { 'request-id': 'fake' } } });
    const m = /^\/v1\.0\/(users|servicePrincipals)\/([^/]+)\/getMemberObjects$/.exec(path);
    if (m === null) return [400, error('BadRequest', `Resource not found for the segment '${path}'.`)];
    if (req.method !== 'POST') return [405, error('Request_BadRequest', 'Specified HTTP method is not allowed for the request target.')];
    if (req.headers.authorization === undefined) return [401, error('InvalidAuthenticationToken', 'Access token is empty.')];
    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      return [401, error('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.')];
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return [415, error('Request_BadRequest', 'A supported MIME type could not be found that matches the content type of the response.')];
    }
    const flag = (body as { securityEnabledOnly?: unknown } | undefined)?.securityEnabledOnly;
    if (typeof flag !== 'boolean') return [400, error('Request_BadRequest', "The parameter 'securityEnabledOnly' in the request payload is not a valid parameter for the function.")];
    const failure = this.#failures.shift();
    if (failure !== undefined) return [failure, error('serviceNotAvailable', 'The service is temporarily unavailable.')];
    const member = this.#members.get(`${m[1]}/${decodeURIComponent(m[2] as string).toLowerCase()}`);
    if (member === undefined) {
      return [404, error('Request_ResourceNotFound', `Resource '${m[2]}' does not exist or one of its queried reference-property objects are not present.`)];
    }
    const value = flag ? [...member.security] : [...member.security, ...(member.other ?? [])];
    return [200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)', value }];
  }
}
