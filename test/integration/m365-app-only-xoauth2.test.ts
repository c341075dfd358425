/**
 * Microsoft 365 app-only access, the whole path: the config a user writes for a client-credentials
 * app (provider microsoft, grant client_credentials, POP.AccessAsApp) -> a token request to a
 * token endpoint on loopback (standing in for login.microsoftonline.com) with the
 * https://outlook.office365.com/.default scope -> a two-step XOAUTH2 login, as Exchange Online
 * requires ("AUTH XOAUTH2", then the base64 string after "+ ": its tokens never fit the 255-octet
 * AUTH line) -> a real Dovecot that accepts the token by RFC 7662 introspection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthTokenProvider } from '../../lambda/adapters/oauth/token-provider.js';
import { Secret } from '../../lambda/adapters/secrets/secret.js';
import type { SecretProvider, SecretValue } from '../../lambda/adapters/secrets/types.js';
import { resolveCredentials, toConnectOptions } from '../../lambda/compose/connect-options.js';
import { parseConfig } from '../../lambda/config/schema.js';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';

/** Shaped like an Entra ID access token (a JWT, ~1,500 characters): far past the AUTH line. */
const APP_TOKEN = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${'eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSJ9'.repeat(25)}.c2lnbmF0dXJl`;
const MAILBOX = 'invoices@contoso.test';

describe('Microsoft 365 app-only (client credentials) to XOAUTH2', () => {
  let dovecot: DovecotServer;
  let tokenEndpoint: Server;
  let tokenUrl: string;
  const tokenRequests: URLSearchParams[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [{ user: MAILBOX, password: 'unused-password' }], oauthTokens: { [APP_TOKEN]: MAILBOX } });
    tokenEndpoint = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        tokenRequests.push(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        // Entra ID's client-credentials reply: no refresh token.
        res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: APP_TOKEN }));
      });
    });
    await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/contoso-tenant-id/oauth2/v2.0/token`;
  });

  afterAll(async () => {
    await dovecot?.stop();
    await new Promise<void>((resolve) => tokenEndpoint.close(() => resolve()));
  });

  it('gets a .default-scoped token with the app secret and logs in with two-step XOAUTH2', async () => {
    // Prepare: the mailbox as docs/deploy.md tells a user to declare it
    const config = parseConfig({
      mailboxes: [{
        id: 'invoices',
        host: dovecot.host,
        port: dovecot.pop3sPort,
        tls: { mode: 'implicit', ca: dovecot.ca },
        auth: {
          user: MAILBOX,
          mechanisms: ['XOAUTH2'],
          secret: { secretsManager: 'pop3-ingest/invoices' },
          oauth2: { provider: 'microsoft', grant: 'client_credentials', tenant: 'contoso-tenant-id', tokenUrl },
        },
      }],
    });
    const mailbox = config.mailboxes[0]!;
    const secrets: SecretProvider = {
      get: async (): Promise<SecretValue> => ({ clientId: new Secret('app-client-id'), clientSecret: new Secret('app-client-secret') }),
      invalidate: () => undefined,
      update: async () => false,
    };
    const sent: string[] = [];
    const since = dovecot.logs().length;

    // Act
    const credentials = await resolveCredentials(mailbox, secrets, new OAuthTokenProvider({ secrets }));
    const session = await connectPop3({
      ...toConnectOptions(mailbox, credentials),
      logger: { debug: (message, fields) => void (message === 'pop3 send' && sent.push(String(fields?.command))) },
    });

    // Assess
    expect(Object.fromEntries(tokenRequests[0]!)).toEqual({
      grant_type: 'client_credentials', client_id: 'app-client-id', client_secret: 'app-client-secret', scope: 'https://outlook.office365.com/.default',
    });
    expect(session.authMethod).toBe('XOAUTH2');
    // Two steps: the bare AUTH line, then the (masked) response after "+ "
    expect(sent.slice(sent.indexOf('AUTH XOAUTH2'), sent.indexOf('AUTH XOAUTH2') + 2)).toEqual(['AUTH XOAUTH2', '****']);
    expect(dovecot.introspectedTokens()).toContain(APP_TOKEN);
    expect(await dovecot.waitForLog(new RegExp(`Login: user=<${MAILBOX}>`), since)).toContain('method=XOAUTH2');
    await session.quit();
  });
});
