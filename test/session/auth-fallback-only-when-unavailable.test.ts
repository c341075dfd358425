import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('falling back to a weaker login method', () => {
  const startServer = fakeServerPerTest();

  it('happens when the server says the mechanism is unavailable before any credential was sent', async () => {
    // Prepare: CRAM-MD5 is advertised but refused outright (it waits for a challenge, so
    // nothing secret went out); PLAIN works
    const server = await startServer({
      capabilities: ['USER', 'UIDL', 'SASL CRAM-MD5 PLAIN'],
      handler: onCommand('AUTH CRAM-MD5', (conn) => conn.line('-ERR mechanism not available')),
    });

    // Act
    const session = await connectPop3(plainOptions(server, { authMethods: ['CRAM-MD5', 'PLAIN'] }));
    await session.quit();

    // Assess
    expect(session.authMethod).toBe('PLAIN');
    expect(server.commands.filter((c) => c.startsWith('AUTH')).map((c) => c.split(' ').slice(0, 2).join(' ')))
      .toEqual(['AUTH CRAM-MD5', 'AUTH PLAIN']);
  });

  it('never happens after the credentials were rejected (no lockout by retrying)', async () => {
    const server = await startServer({
      handler: (conn, line) => {
        if (!line.startsWith('AUTH PLAIN ')) return false;
        conn.line('-ERR authentication failed');
        return true;
      },
    });

    const error = await rejectionOf(connectPop3(plainOptions(server, { authMethods: ['PLAIN', 'USER'] })));

    expect((error as Pop3Error).code).toBe('POP3_AUTH_FAILED');
    expect((error as Pop3Error).category).toBe('auth');
    expect(server.commands.some((c) => c.startsWith('USER') || c.startsWith('PASS'))).toBe(false);
  });
});
