/**
 * Every login method Dovecot offers, end to end through connectPop3 over TLS, each confirmed by
 * Dovecot's own log ("method=..."); and the failures a user must be able to tell apart: wrong
 * password (auth) versus a method the server does not offer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { classifyError } from '../../lambda/shared/errors.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { rejectionOf, starttlsOptions, tlsOptions } from './helpers.js';

/** Our method name and the "method=" Dovecot logs for it (USER/PASS is PLAIN inside Dovecot). */
const METHODS = [
  ['SCRAM-SHA-256', 'SCRAM-SHA-256'],
  ['CRAM-MD5', 'CRAM-MD5'],
  ['APOP', 'APOP'],
  ['PLAIN', 'PLAIN'],
  ['LOGIN', 'LOGIN'],
  ['USER', 'PLAIN'],
] as const;

describe('authentication against Dovecot', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe.each(METHODS)('%s', (method, dovecotMethod) => {
    it.each(['alice', 'bob', 'carol'])(`logs in user %s (passwords with spaces and punctuation)`, async (user) => {
      // Prepare
      const since = server.logs().length;
      // Act
      const session = await connectPop3(tlsOptions(server, { authMethods: [method] }, user));
      // Assess
      expect(session.authMethod).toBe(method);
      expect(session.state).toBe('transaction');
      const line = await server.waitForLog(new RegExp(`Login: user=<${user}>`), since);
      expect(line).toContain(`method=${dovecotMethod}`);
      await session.quit();
    });

    it('is refused with an auth error for a wrong password', async () => {
      const options = tlsOptions(server, { authMethods: [method], credentials: { user: 'alice', password: 'wrong password' } });
      const error = await rejectionOf(connectPop3(options));
      expect(error).toBeInstanceOf(Pop3Error);
      expect((error as Pop3Error).code).toBe('POP3_AUTH_FAILED');
      expect(classifyError(error).category).toBe('auth');
      expect(JSON.stringify(error)).not.toContain('wrong password');
      expect(String((error as Error).message)).not.toContain('wrong password');
    });
  });

  it('chooses SCRAM-SHA-256, the strongest Dovecot offers, when no method is forced', async () => {
    const session = await connectPop3(tlsOptions(server));
    expect(session.authMethod).toBe('SCRAM-SHA-256');
    await session.quit();
  });

  it('logs in with each method after STLS as well', async () => {
    for (const [method] of METHODS) {
      const session = await connectPop3(starttlsOptions(server, { authMethods: [method] }, 'bob'));
      expect(session.authMethod).toBe(method);
      await session.quit();
    }
  });

  it('reports a user that does not exist as an auth failure, not a transient one', async () => {
    const error = await rejectionOf(connectPop3(tlsOptions(server, { credentials: { user: 'mallory', password: 'x' } })));
    expect(classifyError(error)).toMatchObject({ category: 'auth', retryable: false });
  });
});

describe('authentication against a Dovecot offering only some mechanisms', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot({ authMechanisms: ['plain', 'login'] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('falls back to PLAIN when SCRAM, CRAM-MD5 and APOP are not offered', async () => {
    const session = await connectPop3(tlsOptions(server));
    expect(session.authMethod).toBe('PLAIN');
    // RFC 2449 section 6.3: SASL is an AUTHORIZATION-state capability; Dovecot drops it after login.
    expect(session.capabilities.sasl).toEqual([]);
    await session.quit();
  });

  it('names what the server offered when the policy allows none of it', async () => {
    const error = await rejectionOf(connectPop3(tlsOptions(server, { authMethods: ['SCRAM-SHA-256', 'CRAM-MD5'] })));
    expect((error as Pop3Error).code).toBe('POP3_AUTH_UNAVAILABLE');
    expect((error as Pop3Error).message).toContain('SASL PLAIN LOGIN');
  });

  it('does not offer APOP: the greeting has no timestamp', async () => {
    const session = await connectPop3(tlsOptions(server));
    expect(session.greeting).not.toMatch(/<.*@.*>/);
    await session.quit();
  });
});
