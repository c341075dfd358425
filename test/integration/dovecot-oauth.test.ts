/**
 * XOAUTH2 and OAUTHBEARER (RFC 7628) against Dovecot's oauth2 passdb, with the token checked by a
 * loopback RFC 7662 introspection endpoint: the token reaches the server intact, a revoked token
 * is an auth failure (not a hang on the error challenge), and no token goes out in cleartext.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { classifyError } from '../../lambda/shared/errors.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { rejectionOf, starttlsOptions, tlsOptions } from './helpers.js';

// Long enough that the AUTH line exceeds 255 octets (RFC 5034 section 4): sent after "+ ".
const LONG_TOKEN = `ya29.${'A1b2C3d4'.repeat(40)}`;

describe.each(['XOAUTH2', 'OAUTHBEARER'] as const)('%s against Dovecot', (mechanism) => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot({ oauthTokens: { 'tok-alice.1': 'alice', [LONG_TOKEN]: 'bob' } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('logs in with a valid access token over TLS', async () => {
    // Prepare
    const since = server.logs().length;
    // Act
    const session = await connectPop3(tlsOptions(server, { authMethods: [mechanism], credentials: { user: 'alice', accessToken: 'tok-alice.1' } }));
    // Assess
    expect(session.authMethod).toBe(mechanism);
    expect(await server.waitForLog(/Login: user=<alice>/, since)).toContain(`method=${mechanism}`);
    expect(server.introspectedTokens()).toContain('tok-alice.1');
    await session.quit();
  });

  it('sends a token too long for the AUTH line after the empty continuation, intact', async () => {
    const session = await connectPop3(starttlsOptions(server, { authMethods: [mechanism], credentials: { user: 'bob', accessToken: LONG_TOKEN } }));
    expect(session.authMethod).toBe(mechanism);
    expect(server.introspectedTokens()).toContain(LONG_TOKEN);
    await session.quit();
  });

  it('reports a revoked token as an auth failure after answering the error challenge', async () => {
    const error = await rejectionOf(connectPop3(tlsOptions(server, { authMethods: [mechanism], credentials: { user: 'alice', accessToken: 'revoked' } })));
    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_AUTH_FAILED');
    expect(classifyError(error).category).toBe('auth');
    expect((error as Error).message).not.toContain('revoked');
  });

  it('prefers the token mechanism automatically when only a token is given', async () => {
    const session = await connectPop3(tlsOptions(server, { credentials: { user: 'alice', accessToken: 'tok-alice.1' } }));
    expect(session.authMethod).toBe('OAUTHBEARER');
    await session.quit();
  });

  it('never sends a bearer token over a plaintext connection', async () => {
    const before = server.introspectedTokens().length;
    const error = await rejectionOf(connectPop3(tlsOptions(server, {
      port: server.pop3Port, tls: 'none', authMethods: [mechanism], credentials: { user: 'alice', accessToken: 'tok-alice.1' },
    })));
    expect((error as Pop3Error).code).toBe('POP3_INSECURE_AUTH_REFUSED');
    expect(server.introspectedTokens()).toHaveLength(before);
  });
});
