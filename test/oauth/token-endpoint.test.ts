import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, type OAuth2Config } from '../../lambda/config/schema.js';
import { resolveTokenEndpoint } from '../../lambda/adapters/oauth/endpoint.js';
import { OAuthError } from '../../lambda/adapters/oauth/errors.js';
import { OAuthTokenProvider } from '../../lambda/adapters/oauth/token-provider.js';
import { Secret } from '../../lambda/adapters/secrets/secret.js';
import type { SecretProvider, SecretUpdate, SecretValue } from '../../lambda/adapters/secrets/types.js';

/** A scriptable token endpoint on 127.0.0.1:0; records every form it receives. */
interface Reply { status: number; body: unknown }
const requests: URLSearchParams[] = [];
let replies: Reply[] = [];
let server: Server;
let tokenUrl: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      requests.push(new URLSearchParams(body));
      const reply = replies.shift() ?? { status: 500, body: { error: 'no reply scripted' } };
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests.length = 0;
  replies = [];
});

/** An in-memory secret store that records write-backs. */
class MemorySecrets implements SecretProvider {
  updates: SecretUpdate[] = [];
  invalidations = 0;
  constructor(public fields: Record<string, string>, private readonly writable = true) {}
  async get(): Promise<SecretValue> {
    const v: SecretValue = {};
    for (const [k, s] of Object.entries(this.fields)) (v as Record<string, Secret>)[k] = new Secret(s);
    return v;
  }
  invalidate(): void {
    this.invalidations++;
  }
  async update(_ref: unknown, fields: SecretUpdate): Promise<boolean> {
    if (!this.writable) return false;
    this.updates.push(fields);
    if (fields.refreshToken) this.fields.refreshToken = fields.refreshToken.reveal();
    return true;
  }
}

const ref = { secretsManager: 'mail/oauth' };
const custom = (): OAuth2Config => ({ provider: 'custom', grant: 'refresh_token', tokenUrl, scope: 'pop' });

describe('OAuth2 access tokens from a loopback token endpoint', () => {
  it('refreshes with the refresh token and client credentials in the form body', async () => {
    // Prepare
    replies.push({ status: 200, body: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 } });
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', clientSecret: 'csec', refreshToken: 'rt-1' }) });
    // Act
    const token = await tokens.getAccessToken(ref, custom());
    // Assess
    expect(token.reveal()).toBe('at-1');
    expect(String(token)).toBe('[redacted]');
    expect(Object.fromEntries(requests[0]!)).toEqual({
      grant_type: 'refresh_token', client_id: 'cid', client_secret: 'csec', refresh_token: 'rt-1', scope: 'pop',
    });
  });

  it('serves the cached token until shortly before expiry, then refreshes', async () => {
    replies.push({ status: 200, body: { access_token: 'at-1', token_type: 'bearer', expires_in: 3600 } });
    replies.push({ status: 200, body: { access_token: 'at-2', token_type: 'bearer', expires_in: 3600 } });
    const clock = { t: 1_000_000 };
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', refreshToken: 'rt' }), now: () => clock.t });
    expect((await tokens.getAccessToken(ref, custom())).reveal()).toBe('at-1');
    clock.t += 3600_000 - 61_000;
    expect((await tokens.getAccessToken(ref, custom())).reveal()).toBe('at-1');
    clock.t += 2_000;
    expect((await tokens.getAccessToken(ref, custom())).reveal()).toBe('at-2');
    expect(requests).toHaveLength(2);
  });

  it('makes one request for concurrent callers (a rotating refresh token is used once)', async () => {
    replies.push({ status: 200, body: { access_token: 'at-1', expires_in: 3600 } });
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', refreshToken: 'rt' }) });
    const all = await Promise.all([1, 2, 3].map(() => tokens.getAccessToken(ref, custom())));
    expect(all.map((t) => t.reveal())).toEqual(['at-1', 'at-1', 'at-1']);
    expect(requests).toHaveLength(1);
  });

  it('writes a rotated refresh token back and uses it next time', async () => {
    // Prepare
    replies.push({ status: 200, body: { access_token: 'at-1', expires_in: 1, refresh_token: 'rt-2' } });
    replies.push({ status: 200, body: { access_token: 'at-2', expires_in: 3600 } });
    const secrets = new MemorySecrets({ clientId: 'cid', refreshToken: 'rt-1' });
    const clock = { t: 0 };
    const tokens = new OAuthTokenProvider({ secrets, now: () => clock.t });
    // Act
    await tokens.getAccessToken(ref, custom());
    clock.t += 1_000;
    await tokens.getAccessToken(ref, custom());
    // Assess
    expect(secrets.updates.map((u) => u.refreshToken?.reveal())).toEqual(['rt-2']);
    expect(requests.map((r) => r.get('refresh_token'))).toEqual(['rt-1', 'rt-2']);
  });

  it('keeps a rotated refresh token in memory when the store is read-only, and warns', async () => {
    replies.push({ status: 200, body: { access_token: 'at-1', expires_in: 1, refresh_token: 'rt-2' } });
    replies.push({ status: 200, body: { access_token: 'at-2', expires_in: 3600 } });
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) };
    const clock = { t: 0 };
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', refreshToken: 'rt-1' }, false), now: () => clock.t, logger });
    await tokens.getAccessToken(ref, custom());
    clock.t += 1_000;
    await tokens.getAccessToken(ref, custom());
    expect(requests.map((r) => r.get('refresh_token'))).toEqual(['rt-1', 'rt-2']);
    expect(warnings).toEqual([expect.stringContaining('read-only')]);
  });

  it('uses the client_credentials grant without a refresh token', async () => {
    replies.push({ status: 200, body: { access_token: 'app-token', expires_in: 3600 } });
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', clientSecret: 'csec' }) });
    await tokens.getAccessToken(ref, { ...custom(), grant: 'client_credentials' });
    expect(Object.fromEntries(requests[0]!)).toEqual({ grant_type: 'client_credentials', client_id: 'cid', client_secret: 'csec', scope: 'pop' });
  });

  it('classifies invalid_grant as auth, without any token in the error', async () => {
    // Prepare
    replies.push({ status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS70000: refresh token expired' } });
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', clientSecret: 'csec-XYZ', refreshToken: 'rt-SECRET-1' }) });
    // Act
    const error = (await tokens.getAccessToken(ref, custom()).then(
      () => undefined,
      (e: unknown) => e,
    )) as OAuthError;
    // Assess
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: 'OAUTH_INVALID_GRANT', category: 'auth', retryable: false, oauthError: 'invalid_grant', httpStatus: 400 });
    expect(error.message).toContain('AADSTS70000');
    const everything = JSON.stringify({ m: error.message, s: error.stack, e: error });
    expect(everything).not.toContain('rt-SECRET-1');
    expect(everything).not.toContain('csec-XYZ');
  });

  it.each([
    [{ status: 503, body: 'busy' }, 'OAUTH_UNAVAILABLE', 'transient'],
    [{ status: 429, body: {} }, 'OAUTH_UNAVAILABLE', 'throttled'],
    [{ status: 401, body: { error: 'invalid_client' } }, 'OAUTH_INVALID_CLIENT', 'auth'],
    [{ status: 400, body: { error: 'invalid_scope' } }, 'OAUTH_REJECTED', 'auth'],
    [{ status: 200, body: { token_type: 'bearer' } }, 'OAUTH_RESPONSE_INVALID', 'transient'],
    [{ status: 200, body: 'not json' }, 'OAUTH_RESPONSE_INVALID', 'transient'],
  ])('maps %j to %s (%s)', async (reply, code, category) => {
    replies.push(reply);
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', refreshToken: 'rt' }) });
    await expect(tokens.getAccessToken(ref, custom())).rejects.toMatchObject({ code, category });
  });

  it('reports an unreachable endpoint as transient', async () => {
    // Prepare: a port that was just free on loopback.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const tokens = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid', refreshToken: 'rt' }) });
    // Act + Assess
    await expect(tokens.getAccessToken(ref, { ...custom(), tokenUrl: `http://127.0.0.1:${port}/token` })).rejects.toMatchObject({
      code: 'OAUTH_UNAVAILABLE', category: 'transient',
    });
  });

  it('refuses to start without a client id or refresh token', async () => {
    const noClient = new OAuthTokenProvider({ secrets: new MemorySecrets({ refreshToken: 'rt' }) });
    await expect(noClient.getAccessToken(ref, custom())).rejects.toMatchObject({ code: 'OAUTH_SECRET_INCOMPLETE', category: 'auth' });
    const noRefresh = new OAuthTokenProvider({ secrets: new MemorySecrets({ clientId: 'cid' }) });
    await expect(noRefresh.getAccessToken(ref, custom())).rejects.toMatchObject({ code: 'OAUTH_SECRET_INCOMPLETE' });
    expect(requests).toHaveLength(0);
  });

  it('invalidate drops the cached token and the cached secret', async () => {
    replies.push({ status: 200, body: { access_token: 'at-1', expires_in: 3600 } });
    replies.push({ status: 200, body: { access_token: 'at-2', expires_in: 3600 } });
    const secrets = new MemorySecrets({ clientId: 'cid', refreshToken: 'rt' });
    const tokens = new OAuthTokenProvider({ secrets });
    await tokens.getAccessToken(ref, custom());
    tokens.invalidate(ref);
    expect((await tokens.getAccessToken(ref, custom())).reveal()).toBe('at-2');
    expect(secrets.invalidations).toBe(1);
  });
});

describe('provider presets', () => {
  const oauthOf = (oauth2: Record<string, unknown>) =>
    parseConfig({ mailboxes: [{ id: 'a', host: 'h', auth: { user: 'u', secret: { env: 'P' }, oauth2 } }] }).mailboxes[0]!.auth.oauth2!;

  it('builds the Microsoft endpoint from the tenant, with POP and offline_access scopes', () => {
    expect(resolveTokenEndpoint(oauthOf({ provider: 'microsoft', tenant: 'contoso.onmicrosoft.com' }))).toEqual({
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      scope: 'https://outlook.office.com/POP.AccessAsUser.All offline_access',
      grant: 'refresh_token',
    });
    expect(resolveTokenEndpoint(oauthOf({ provider: 'microsoft', tenant: 't1', grant: 'client_credentials' })).scope).toBe('https://outlook.office365.com/.default');
  });

  it('uses Google’s token endpoint', () => {
    expect(resolveTokenEndpoint(oauthOf({ provider: 'google' })).tokenUrl).toBe('https://oauth2.googleapis.com/token');
  });
});
