import { Strategy } from 'passport-strategy';
import type { AuthError } from './auth-error.ts';
import { isAuthFailure } from './auth-error.ts';
import type { Authenticate } from './authenticate.ts';
import type { HeaderBag } from './bearer.ts';

/** The minimum of a request the strategy reads (Express and plain Node requests both fit). */
interface BearerRequest {
  readonly headers: HeaderBag;
  /** Node's raw name/value list: the only place a second Authorization header shows. */
  readonly rawHeaders?: readonly string[];
  readonly url?: string;
  readonly originalUrl?: string;
  /** Express sets it; used to add the WWW-Authenticate header passport leaves off non-401 failures. */
  readonly res?: { setHeader(name: string, value: string): unknown; headersSent?: boolean };
}

const failures = new WeakMap<object, AuthError>();

/** The AuthError behind a failed authentication of this request, for custom failure handlers. */
export function authFailureOf(req: object): AuthError | undefined {
  return failures.get(req);
}

/**
 * A passport strategy (`passport.use(new RegateBearerStrategy(authenticate))`) over regate's
 * `authenticate()`: success(principal) on a good token; fail(challenge, 401|403) on a bad one, where
 * the challenge is the full `WWW-Authenticate` value passport puts on the 401; error(err) when the
 * token could not be checked (503), so that the app's error handler answers. Use it with
 * `{ session: false }`: every MCP request carries its own token.
 */
export class RegateBearerStrategy extends Strategy {
  override name = 'regate-bearer';
  // Not a #private field: passport runs each request on Object.create(strategy), and private
  // fields do not follow the prototype chain.
  private readonly check: Authenticate;

  constructor(authenticate: Authenticate) {
    super();
    this.check = authenticate;
  }

  override authenticate(req: BearerRequest): void {
    this.check(withEveryAuthorization(req), req.originalUrl ?? req.url ?? '/').then(
      (principal) => this.success(principal),
      (err: unknown) => {
        if (!isAuthFailure(err) || err.wwwAuthenticate === undefined) return this.error(err);
        failures.set(req, err);
        // passport's default failure handler sets WWW-Authenticate only on 401; RFC 6750 wants it
        // on 403 insufficient_scope too.
        if (err.status !== 401 && req.res !== undefined && !req.res.headersSent) {
          req.res.setHeader('WWW-Authenticate', err.wwwAuthenticate);
        }
        return this.fail(err.wwwAuthenticate, err.status);
      },
    );
  }
}

/**
 * The request's headers with every Authorization header it carried. Node keeps only the first of
 * duplicated Authorization headers in `headers`, so two would pass as one; handed over as a list,
 * they are refused (REGATE_ERR_AUTH_MALFORMED) like any other ambiguous credential. Reads
 * `rawHeaders` (already built) rather than `headersDistinct` (built on first use): this runs on
 * every call.
 */
function withEveryAuthorization(req: BearerRequest): HeaderBag {
  const raw = req.rawHeaders;
  if (raw === undefined) return req.headers;
  let all: string[] | undefined;
  let first: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    if (first === undefined) first = raw[i + 1]!;
    else (all ??= [first]).push(raw[i + 1]!);
  }
  return all === undefined ? req.headers : { ...req.headers, authorization: all };
}
