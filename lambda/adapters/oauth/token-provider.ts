/**
 * OAuth2 access tokens for XOAUTH2 / OAUTHBEARER mailboxes (RFC 6749 sections 4.4 and 6).
 * Tokens are cached until shortly before they expire; a rotated refresh token is written back
 * through the secret provider so the next container starts from it.
 */
import type { Logger } from '../../sync/ports.js';
import { Secret } from '../secrets/secret.js';
import { describeSecretRef, secretRefKey, type SecretProvider, type SecretRef, type SecretValue } from '../secrets/types.js';
import { resolveTokenEndpoint, type TokenEndpoint } from './endpoint.js';
import type { OAuthSettings } from './presets.js';
import { OAuthError } from './errors.js';

/** Options for OAuthTokenProvider. */
export interface OAuthTokenProviderOptions {
  secrets: SecretProvider;
  /** Defaults to the global fetch (Node 20+). */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Refresh this long before expiry (default 60 s, at most half the token's lifetime). */
  refreshSkewMs?: number;
  /** Gives up on the token endpoint after this long (default 15 s). */
  timeoutMs?: number;
  logger?: Logger;
}

interface CachedToken {
  token: Secret;
  refreshAt: number;
}

/** Lifetime assumed when the endpoint omits expires_in (RFC 6749 section 5.1 only recommends it). */
const DEFAULT_LIFETIME_S = 600;
const MAX_DESCRIPTION = 300;
/** A token response is a few KB; anything far larger is not one, and is never read whole. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Gets, caches and refreshes OAuth2 access tokens; one instance per container. */
export class OAuthTokenProvider {
  private readonly secrets: SecretProvider;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly skewMs: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<Secret>>();
  /** Rotated refresh tokens that could not be written back: still the newest we know. */
  private readonly rotated = new Map<string, Secret>();

  constructor(options: OAuthTokenProviderOptions) {
    this.secrets = options.secrets;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.skewMs = options.refreshSkewMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.logger = options.logger;
  }

  /** A valid access token for the mailbox whose secret is `ref`, from cache when still fresh. */
  async getAccessToken(ref: SecretRef, oauth: OAuthSettings, options: { signal?: AbortSignal } = {}): Promise<Secret> {
    const endpoint = resolveTokenEndpoint(oauth);
    const key = `${secretRefKey(ref)}\n${endpoint.tokenUrl}\n${endpoint.scope ?? ''}`;
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    // One refresh at a time per token: two concurrent refreshes with one rotating refresh token
    // would make the second one fail with invalid_grant at some providers.
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = this.refresh(key, ref, endpoint, options.signal).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  /** Forgets cached tokens for `ref` and the secret itself (after the server refused a token). */
  invalidate(ref: SecretRef): void {
    const prefix = `${secretRefKey(ref)}\n`;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
    this.secrets.invalidate(ref);
  }

  private async refresh(key: string, ref: SecretRef, endpoint: TokenEndpoint, signal?: AbortSignal): Promise<Secret> {
    const secret = await this.secrets.get(ref);
    const refreshToken = this.rotated.get(secretRefKey(ref)) ?? secret.refreshToken;
    const form = this.buildForm(ref, endpoint, secret, refreshToken);
    const started = this.now();
    const body = await this.post(endpoint.tokenUrl, form, signal);

    const accessToken = typeof body.access_token === 'string' && body.access_token !== '' ? body.access_token : undefined;
    if (accessToken === undefined) {
      throw new OAuthError('OAUTH_RESPONSE_INVALID', `token endpoint ${hostOf(endpoint.tokenUrl)} replied without an access_token`);
    }
    const tokenType = typeof body.token_type === 'string' ? body.token_type.toLowerCase() : 'bearer';
    if (tokenType !== 'bearer') {
      throw new OAuthError('OAUTH_RESPONSE_INVALID', `token endpoint ${hostOf(endpoint.tokenUrl)} issued a "${escape(tokenType)}" token; XOAUTH2/OAUTHBEARER need a Bearer token`);
    }
    const expiresIn = Number(body.expires_in ?? DEFAULT_LIFETIME_S);
    const lifetimeMs = (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_LIFETIME_S) * 1000;
    const token = new Secret(accessToken);
    // Measured from when we asked, not when we got the answer: never trust a token past its life.
    this.cache.set(key, { token, refreshAt: started + lifetimeMs - Math.min(this.skewMs, lifetimeMs / 2) });

    if (typeof body.refresh_token === 'string' && body.refresh_token !== '' && body.refresh_token !== refreshToken?.reveal()) {
      await this.writeBack(ref, new Secret(body.refresh_token));
    }
    return token;
  }

  private buildForm(ref: SecretRef, endpoint: TokenEndpoint, secret: SecretValue, refreshToken: Secret | undefined): URLSearchParams {
    const where = describeSecretRef(ref);
    if (!secret.clientId) {
      throw new OAuthError('OAUTH_SECRET_INCOMPLETE', `${where} has no clientId (needed for the OAuth2 ${endpoint.grant} grant)`);
    }
    // RFC 6749 section 2.3.1: client credentials in the request body (client_secret_post),
    // which Microsoft and Google both accept.
    const form = new URLSearchParams({ grant_type: endpoint.grant, client_id: secret.clientId.reveal() });
    if (secret.clientSecret) form.set('client_secret', secret.clientSecret.reveal());
    if (endpoint.grant === 'refresh_token') {
      if (!refreshToken) throw new OAuthError('OAUTH_SECRET_INCOMPLETE', `${where} has no refreshToken (needed for the OAuth2 refresh_token grant)`);
      form.set('refresh_token', refreshToken.reveal());
    } else if (!secret.clientSecret) {
      throw new OAuthError('OAUTH_SECRET_INCOMPLETE', `${where} has no clientSecret (needed for the OAuth2 client_credentials grant)`);
    }
    if (endpoint.scope !== undefined) form.set('scope', endpoint.scope);
    return form;
  }

  private async post(url: string, form: URLSearchParams, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const host = hostOf(url);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      // fetch's own errors name the URL at most, never the body; keep only the class of failure.
      const reason = timeout.aborted ? `no reply within ${this.timeoutMs} ms` : describeNetworkError(error);
      throw new OAuthError('OAUTH_UNAVAILABLE', `token endpoint ${host} unreachable: ${reason}`);
    }
    let body: Record<string, unknown> = {};
    const text = await readBounded(response, MAX_RESPONSE_BYTES);
    if (text === undefined && response.ok) {
      throw new OAuthError('OAUTH_RESPONSE_INVALID', `token endpoint ${host} replied with more than ${MAX_RESPONSE_BYTES} bytes; not a token response`);
    }
    try {
      const parsed: unknown = JSON.parse(text ?? '');
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: handled by status below.
    }
    if (response.ok) return body;
    return this.fail(host, response.status, body);
  }

  private fail(host: string, status: number, body: Record<string, unknown>): never {
    const oauthError = typeof body.error === 'string' ? body.error : undefined;
    const description = typeof body.error_description === 'string' ? `: ${escape(body.error_description)}` : '';
    const what = `token endpoint ${host} answered HTTP ${status}${oauthError === undefined ? '' : ` ${escape(oauthError)}`}${description}`;
    const options = { httpStatus: status, ...(oauthError === undefined ? {} : { oauthError }) };
    if (status === 429) throw new OAuthError('OAUTH_UNAVAILABLE', what, { ...options, category: 'throttled' });
    if (status >= 500) throw new OAuthError('OAUTH_UNAVAILABLE', what, options);
    // RFC 6749 section 5.2 error codes.
    if (oauthError === 'invalid_grant') throw new OAuthError('OAUTH_INVALID_GRANT', what, options);
    if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client' || status === 401) {
      throw new OAuthError('OAUTH_INVALID_CLIENT', what, options);
    }
    if (oauthError === 'temporarily_unavailable') throw new OAuthError('OAUTH_UNAVAILABLE', what, options);
    throw new OAuthError('OAUTH_REJECTED', what, options);
  }

  private async writeBack(ref: SecretRef, refreshToken: Secret): Promise<void> {
    const refKey = secretRefKey(ref);
    this.rotated.set(refKey, refreshToken);
    const where = describeSecretRef(ref);
    try {
      const written = (await this.secrets.update?.(ref, { refreshToken })) ?? false;
      if (written) {
        this.rotated.delete(refKey);
        this.logger?.info('OAuth2 refresh token rotated and written back', { secret: where });
      } else {
        this.logger?.warn('OAuth2 refresh token rotated but this secret store is read-only: update it by hand', { secret: where });
      }
    } catch (error) {
      // The access token is good: poll now, and keep the new refresh token in memory for next time.
      const code = (error as { code?: unknown }).code;
      this.logger?.error('OAuth2 refresh token rotated but writing it back failed', { secret: where, errorCode: typeof code === 'string' ? code : 'UNKNOWN' });
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

/** Untrusted server text: printable ASCII only, bounded. */
function escape(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > MAX_DESCRIPTION ? `${clean.slice(0, MAX_DESCRIPTION)}...` : clean;
}

/**
 * The response body as text if it is at most `max` bytes; undefined (the rest cancelled, never
 * buffered) when it is longer, or '' when it cannot be read.
 */
async function readBounded(response: Response, max: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > max || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    return declared > max ? undefined : '';
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > max) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      parts.push(value);
    }
  } catch {
    return '';
  }
  return Buffer.concat(parts, length).toString('utf8');
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return (error as { name?: unknown } | null)?.name === 'AbortError' ? 'aborted' : 'network error';
}
