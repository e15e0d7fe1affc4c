/**
 * A local HTTPS OpenID issuer for tests, Entra-shaped or generic: discovery metadata, a JWKS, keys
 * made with jose, key rotation, and signing of any token, including forged ones (alg none, HS256
 * keyed with the public key, tampered payloads, keys outside the JWKS). Counts JWKS fetches so
 * tests can see refetch-on-unknown-kid and its cooldown.
 *
 * For the approval page's sign-in it is also an authorization server: an authorize endpoint that
 * signs in the configured test user without asking (or answers access_denied when there is none)
 * and a token endpoint that exchanges a code for an ID token and an access token, checking the
 * client secret, the redirect URI and the PKCE (S256) verifier, each code used once.
 */
import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { TestCa } from './test-ca.ts';

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface IssuerOptions {
  readonly ca: TestCa;
  /** Signing algorithm of the issuer's own keys; default RS256 (Entra's only one). */
  readonly alg?: 'RS256' | 'ES256';
  /** `issuer` in the discovery document; default the server's own URL. */
  readonly metadataIssuer?: string;
  /**
   * Host name in the issuer's URLs; default 127.0.0.1. `localhost` (still loopback, in the test
   * certificate) makes the issuer cross-site to a page served on 127.0.0.1, as a real issuer is.
   */
  readonly urlHost?: '127.0.0.1' | 'localhost';
}

export interface SignOptions {
  readonly kid?: string;
  /** Extra or overriding protected header members. */
  readonly header?: Record<string, unknown>;
}

let kidCounter = 0;

async function newKey(alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `test-key-${++kidCounter}-${Math.random().toString(36).slice(2, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** A client registered for the authorization code flow. */
export interface TestClient {
  readonly client_id: string;
  readonly client_secret: string;
  readonly redirect_uris: readonly string[];
}

interface IssuedCode {
  readonly client_id: string;
  readonly redirect_uri: string;
  readonly challenge: string;
  readonly nonce: string | undefined;
  readonly user: JWTPayload;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export class TestIssuer {
  readonly url: string;
  /** Number of JWKS responses served. */
  jwksFetches = 0;
  metadataFetches = 0;
  readonly #server: https.Server;
  readonly #alg: 'RS256' | 'ES256';
  #metadataIssuer: string;
  #current: SigningKey;
  #published: SigningKey[];
  #foreign: Promise<SigningKey> | undefined;
  readonly #clients = new Map<string, TestClient>();
  readonly #codes = new Map<string, IssuedCode>();
  /** The person the authorize endpoint signs in (claims of their ID token); undefined: access_denied. */
  signInUser: JWTPayload | undefined;
  /** Replaces how the token endpoint signs an ID token (forged tokens for refusal tests). */
  idTokenSigner: ((claims: JWTPayload) => Promise<string>) | undefined;
  /** Query of every authorize request, in order. */
  readonly authorizeRequests: URLSearchParams[] = [];
  /** Token endpoint answers: how many codes were exchanged, and how many refused. */
  tokenGrants = 0;
  tokenRefusals = 0;

  private constructor(server: https.Server, url: string, key: SigningKey, options: IssuerOptions) {
    this.#server = server;
    this.url = url;
    this.#alg = options.alg ?? 'RS256';
    this.#metadataIssuer = options.metadataIssuer ?? url;
    this.#current = key;
    this.#published = [key];
  }

  /** Starts an issuer on 127.0.0.1 with a fresh key. */
  static async start(options: IssuerOptions): Promise<TestIssuer> {
    const key = await newKey(options.alg ?? 'RS256');
    let self: TestIssuer | undefined;
    const server = https.createServer({ key: options.ca.keyPem, cert: options.ca.certPem }, (req, res) => self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new TestIssuer(server, `https://${options.urlHost ?? '127.0.0.1'}:${port}`, key, options);
    return self;
  }

  /** Generic OIDC discovery document URL. */
  get metadataUrl(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  /** Entra-shaped discovery URL (`/{tenant}/v2.0/.well-known/openid-configuration`). */
  entraMetadataUrl(tenant: string): string {
    return `${this.url}/${tenant}/v2.0/.well-known/openid-configuration`;
  }

  get jwksUri(): string {
    return `${this.url}/discovery/v2.0/keys`;
  }

  get currentKid(): string {
    return this.#current.kid;
  }

  /** Changes the `issuer` the discovery document names. */
  setMetadataIssuer(issuer: string): void {
    this.#metadataIssuer = issuer;
  }

  /** Signs claims with the current key (or the published key `kid`). */
  async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const key = options.kid === undefined ? this.#current : this.#published.find((k) => k.kid === options.kid);
    if (key === undefined) throw new Error(`no published key ${options.kid}`);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...options.header })
      .sign(key.privateKey);
  }

  /**
   * Starts signing with a new key. `keepPrevious: true` is a planned rollover (both keys published);
   * false is an emergency one (the old key disappears from the JWKS at once).
   */
  async rotate(options: { keepPrevious?: boolean } = {}): Promise<string> {
    const key = await newKey(this.#alg);
    this.#published = options.keepPrevious ? [...this.#published, key] : [key];
    this.#current = key;
    return key.kid;
  }

  /** A token signed by a key that is not (and never was) in the JWKS, with its own kid. */
  async signWithForeignKey(claims: JWTPayload, kid = 'attacker-key'): Promise<string> {
    // One attacker key per issuer: RSA key generation is slow, and any unpublished key will do.
    this.#foreign ??= newKey(this.#alg);
    const key = await this.#foreign;
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'JWT', kid }).sign(key.privateKey);
  }

  /** A forged unsecured token: `alg: none`, empty signature, the current kid. */
  unsigned(claims: JWTPayload): string {
    return `${b64url({ alg: 'none', typ: 'JWT', kid: this.#current.kid })}.${b64url(claims)}.`;
  }

  /**
   * The classic key-confusion forgery: HS256 with the issuer's public key (SPKI PEM, as published)
   * used as the HMAC secret, carrying the current kid.
   */
  async hs256WithPublicKey(claims: JWTPayload): Promise<string> {
    const pem = await exportSPKI(this.#current.publicKey);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: this.#current.kid })
      .sign(new TextEncoder().encode(pem));
  }

  /** Registers a confidential client for the authorization code flow. */
  registerClient(c: TestClient): void {
    this.#clients.set(c.client_id, c);
  }

  /** Closes the server and its connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method === 'POST' && path === '/oauth2/v2.0/token') return this.token(req, res);
    if (req.method !== 'GET') return this.json(res, 405, { error: 'method not allowed' });
    if (path === '/oauth2/v2.0/authorize') return this.authorize(new URL(req.url ?? '/', this.url).searchParams, res);
    if (path.endsWith('/.well-known/openid-configuration')) {
      this.metadataFetches++;
      return this.json(res, 200, {
        issuer: this.#metadataIssuer,
        jwks_uri: this.jwksUri,
        authorization_endpoint: `${this.url}/oauth2/v2.0/authorize`,
        token_endpoint: `${this.url}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: [this.#alg],
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
    }
    if (path === '/discovery/v2.0/keys' || path.endsWith('/discovery/v2.0/keys')) {
      this.jwksFetches++;
      return this.json(res, 200, { keys: this.#published.map((k) => k.publicJwk) });
    }
    return this.json(res, 404, { error: 'not found' });
  }

  /** Signs in `signInUser` at once and redirects back with a code (or with access_denied). */
  private authorize(q: URLSearchParams, res: import('node:http').ServerResponse): void {
    this.authorizeRequests.push(q);
    const client = this.#clients.get(q.get('client_id') ?? '');
    const redirect = q.get('redirect_uri') ?? '';
    // Never redirect to an unregistered URI: that is the open redirector an issuer must not be.
    if (client === undefined || !client.redirect_uris.includes(redirect)) return this.json(res, 400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
    const back = new URL(redirect);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    const challenge = q.get('code_challenge');
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || challenge === null || !(q.get('scope') ?? '').split(' ').includes('openid')) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'response_type code, scope openid and a S256 code_challenge are required');
    } else if (this.signInUser === undefined) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'the user declined to consent');
    } else {
      const code = randomBytes(24).toString('base64url');
      this.#codes.set(code, { client_id: client.client_id, redirect_uri: redirect, challenge, nonce: q.get('nonce') ?? undefined, user: this.signInUser });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.href });
    res.end();
  }

  /** Exchanges a code (client secret, redirect URI and PKCE verifier checked; each code once). */
  private token(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      void this.exchange(new URLSearchParams(body), req.headers.authorization).then(
        ([status, answer]) => {
          if (status === 200) this.tokenGrants++;
          else this.tokenRefusals++;
          this.json(res, status, answer);
        },
        (err: unknown) => this.json(res, 500, { error: 'server_error', error_description: String(err) }),
      );
    });
  }

  private async exchange(f: URLSearchParams, authorization: string | undefined): Promise<[number, unknown]> {
    let id = f.get('client_id');
    let secret = f.get('client_secret');
    if (authorization?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':').map((x) => decodeURIComponent(x));
      id = u ?? null;
      secret = p ?? null;
    }
    const client = this.#clients.get(id ?? '');
    if (client === undefined || secret !== client.client_secret) return [401, { error: 'invalid_client' }];
    if (f.get('grant_type') !== 'authorization_code') return [400, { error: 'unsupported_grant_type' }];
    const code = this.#codes.get(f.get('code') ?? '');
    this.#codes.delete(f.get('code') ?? '');
    if (code === undefined || code.client_id !== client.client_id || code.redirect_uri !== f.get('redirect_uri')) return [400, { error: 'invalid_grant' }];
    const verifier = f.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return [400, { error: 'invalid_grant', error_description: 'PKCE verification failed' }];
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = { iss: this.#metadataIssuer, aud: client.client_id, iat: now, nbf: now, exp: now + 3600, ...(code.nonce === undefined ? {} : { nonce: code.nonce }), ...code.user };
    const id_token = await (this.idTokenSigner ?? ((c) => this.sign(c)))(claims);
    const access_token = await this.sign({ ...code.user, iss: this.#metadataIssuer, aud: client.client_id, iat: now, exp: now + 3600, azp: client.client_id });
    return [200, { token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email', id_token, access_token }];
  }

  private json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** Replaces payload members of a signed token while keeping its header and signature. */
export function tamper(token: string, patch: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64url({ ...claims, ...patch })}.${signature}`;
}
