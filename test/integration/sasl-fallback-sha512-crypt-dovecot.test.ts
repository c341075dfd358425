/**
 * Threat: a correct password reported as a bad one (and the AuthFailures alarm firing) because
 * the strongest mechanism cannot work on this server. A Dovecot whose passwords are stored as
 * SHA512-CRYPT cannot do SCRAM-SHA-256 (it needs the salted key, not a one-way crypt hash) and
 * refuses right after the client-first message, before any proof of the password was sent: the
 * client falls back to the next allowed mechanism. A wrong password still fails, as an auth
 * error that names every mechanism tried and what Dovecot said to each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { rejectionOf, tlsOptions } from './helpers.js';

describe('SASL fallback against a Dovecot with SHA512-CRYPT passwords', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot({ passwordScheme: 'SHA512-CRYPT', authMechanisms: ['scram-sha-256', 'plain', 'login'] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('logs in with PLAIN after Dovecot refuses SCRAM-SHA-256 before the proof', async () => {
    // Prepare
    const since = server.logs().length;

    // Act
    const session = await connectPop3(tlsOptions(server, {}, 'alice'));

    // Assess
    expect(session.authMethod).toBe('PLAIN');
    expect(await server.waitForLog(/Login: user=<alice>/, since)).toContain('method=PLAIN');
    await session.quit();
  });

  it('a wrong password fails as an auth error naming each mechanism tried and its reply', async () => {
    const options = tlsOptions(server, { credentials: { user: 'alice', password: 'wrong password' } });

    const error = await rejectionOf(connectPop3(options));

    expect(error).toBeInstanceOf(Pop3Error);
    expect(error).toMatchObject({ code: 'POP3_AUTH_FAILED', category: 'auth' });
    expect((error as Pop3Error).message).toContain('(PLAIN; tried before it: SCRAM-SHA-256)');
    expect((error as Pop3Error).serverText).toMatch(/^SCRAM-SHA-256: .+ \| PLAIN: .+/);
  });

  it('gives up with POP3_AUTH_UNAVAILABLE when only SCRAM-SHA-256 is allowed, saying what Dovecot answered', async () => {
    const error = await rejectionOf(connectPop3(tlsOptions(server, { authMethods: ['SCRAM-SHA-256'] }, 'alice')));

    expect(error).toMatchObject({ code: 'POP3_AUTH_UNAVAILABLE' });
    expect((error as Pop3Error).message).toContain('(SCRAM-SHA-256)');
    expect((error as Pop3Error).serverText).toMatch(/^SCRAM-SHA-256: \S/);
  });
});
