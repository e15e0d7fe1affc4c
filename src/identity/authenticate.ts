import { asRegateError } from '../errors.ts';
import { AuthError } from './auth-error.ts';
import { extractBearerToken, type HeaderBag } from './bearer.ts';
import type { Principal } from './principal.ts';
import { challengeFor, connectionFromPath, resourceMetadataUrl } from './protected-resource.ts';
import type { TokenValidator } from './validator.ts';

/** Authenticates one request from its headers and URL (path + query). */
export type Authenticate = (headers: HeaderBag, url: string) => Promise<Principal>;

export interface AuthenticatorOptions {
  readonly validator: TokenValidator;
  /** regate's public base URL, used to name the resource metadata in challenges. */
  readonly publicBaseUrl: string;
}

/**
 * Builds the framework-free authentication step: bearer token from the Authorization header only,
 * validated (and cached) by the provider. Rejections throw an AuthError whose `wwwAuthenticate`
 * names the resource metadata of the connection in the URL; outages throw a RegateError (503).
 */
export function createAuthenticator(o: AuthenticatorOptions): Authenticate {
  return async (headers, url) => {
    try {
      return await o.validator.validate(extractBearerToken(headers, url));
    } catch (err) {
      if (err instanceof AuthError) {
        throw err.withChallenge(challengeFor(err, resourceMetadataUrl(o.publicBaseUrl, connectionFromPath(url))));
      }
      throw asRegateError(err);
    }
  };
}
