/**
 * Errors of the OAuth2 token client. Messages carry the endpoint's host, the OAuth2 error code
 * and its description (escaped, truncated), never a token, a client secret or a request body.
 */
import { keepClassName, catalogueError, type CatalogueErrorOptions, type ErrorCategory } from '../../shared/errors.js';

/** The closed catalogue of OAuth2 error codes (prefix OAUTH_) with their category. */
export const OAUTH_ERROR_CODES = {
  /** RFC 6749 section 5.2 invalid_grant: the refresh token is expired, revoked or for another client. */
  OAUTH_INVALID_GRANT: 'auth',
  /** invalid_client / unauthorized_client: the client id or secret is wrong or not allowed. */
  OAUTH_INVALID_CLIENT: 'auth',
  /** Any other refusal (invalid_scope, invalid_request...): the configuration needs a human. */
  OAUTH_REJECTED: 'auth',
  /** The secret lacks what the grant needs (client id, refresh token). */
  OAUTH_SECRET_INCOMPLETE: 'auth',
  /** 5xx, 429, network failure or timeout: the next attempt may succeed. */
  OAUTH_UNAVAILABLE: 'transient',
  /** A 2xx reply without a usable access token. */
  OAUTH_RESPONSE_INVALID: 'transient',
} as const satisfies Record<string, ErrorCategory>;

/** One OAuth2 error code. */
export type OAuthErrorCode = keyof typeof OAUTH_ERROR_CODES;

/** A token request failed. `oauthError` is the endpoint's RFC 6749 `error` value, when it sent one. */
export class OAuthError extends catalogueError(OAUTH_ERROR_CODES) {
  static {
    keepClassName(this, 'OAuthError');
  }
  readonly oauthError?: string;
  readonly httpStatus?: number;

  constructor(code: OAuthErrorCode, message: string, options: CatalogueErrorOptions & { oauthError?: string; httpStatus?: number } = {}) {
    super(code, message, options);
    if (options.oauthError !== undefined) this.oauthError = options.oauthError;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}
