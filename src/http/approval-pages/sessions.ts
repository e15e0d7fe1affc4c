/**
 * Cookie sessions for the approval page, kept in the shared store so any replica serves them. The
 * cookie holds only a random id (httpOnly, SameSite=Strict, Secure unless the page is served on a
 * loopback http address); the store key is its hash, so a store dump yields no usable cookie.
 * Every state-changing form carries the session's CSRF token; the sign-in form, before any
 * session exists, carries a token that must match a short-lived cookie (double submit).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../../store/store.ts';

export const SESSION_COOKIE = 'regate_approvals';
export const SIGNIN_COOKIE = 'regate_signin';
/** Holds the state of an OIDC sign-in in progress (SameSite=Lax, ten minutes). */
export const OIDC_STATE_COOKIE = 'regate_oidc_state';
const PREFIX = 'approval:session:';
const MAX_SESSION_MS = 8 * 3600 * 1000;

export interface PageSession {
  readonly id: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly csrf: string;
  /** Milliseconds since the epoch. */
  readonly expires_at: number;
}

/**
 * Cookies of a request (first value wins). A value that does not decode (another application's
 * cookie on the same host) is skipped: it is none of regate's, and must not break the page.
 */
export function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (out.has(k)) continue;
    try {
      out.set(k, decodeURIComponent(part.slice(i + 1).trim()));
    } catch {
      // URIError: not a cookie regate set
    }
  }
  return out;
}

/** Whether cookies must be Secure: always, except for an http page on a loopback host. */
export function secureCookies(pageUrl: string): boolean {
  const u = new URL(pageUrl);
  if (u.protocol === 'https:') return true;
  return !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !u.hostname.startsWith('127.');
}

/**
 * Sets one cookie scoped to /approvals; SameSite=Strict unless asked for Lax (the OIDC state
 * cookie must come back on the issuer's cross-site redirect to the callback).
 */
export function setCookie(res: ServerResponse, name: string, value: string, o: { secure: boolean; maxAgeSeconds: number; sameSite?: 'Strict' | 'Lax' }): void {
  const cookie = `${name}=${encodeURIComponent(value)}; Path=/approvals; HttpOnly; SameSite=${o.sameSite ?? 'Strict'}; Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}${o.secure ? '; Secure' : ''}`;
  const prev = res.getHeader('set-cookie');
  res.setHeader('set-cookie', [...(Array.isArray(prev) ? prev : prev !== undefined ? [String(prev)] : []), cookie]);
}

/** Constant-time comparison of two tokens. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

const keyOf = (cookie: string) => PREFIX + createHash('sha256').update(cookie).digest('base64url');

export class PageSessions {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Starts a session for a signed-in person; returns the cookie value. */
  async create(who: { id: string; name: string; groups: readonly string[] }, tokenExpiresAtMs: number): Promise<{ cookie: string; session: PageSession }> {
    const cookie = randomToken();
    const expires_at = Math.min(this.#now() + MAX_SESSION_MS, tokenExpiresAtMs);
    const session: PageSession = { id: who.id, name: who.name, groups: [...who.groups], csrf: randomToken(), expires_at };
    await this.#store.set(keyOf(cookie), JSON.stringify(session), Math.max(1000, expires_at - this.#now()));
    return { cookie, session };
  }

  /** The session behind a request's cookie, if live. */
  async of(req: IncomingMessage): Promise<PageSession | undefined> {
    const cookie = cookiesOf(req).get(SESSION_COOKIE);
    if (cookie === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
    const text = await this.#store.get(keyOf(cookie));
    const s = text === undefined ? undefined : (JSON.parse(text) as PageSession);
    return s !== undefined && s.expires_at > this.#now() ? s : undefined;
  }

  async end(req: IncomingMessage): Promise<void> {
    const cookie = cookiesOf(req).get(SESSION_COOKIE);
    if (cookie !== undefined) await this.#store.del(keyOf(cookie));
  }
}
