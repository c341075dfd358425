import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error, type Pop3ErrorCode } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('RFC 2449 / RFC 3206 response codes at login', () => {
  const startServer = fakeServerPerTest();

  const cases: Array<[string, Pop3ErrorCode, string]> = [
    ['IN-USE', 'POP3_IN_USE', 'throttled'],
    ['LOGIN-DELAY', 'POP3_LOGIN_DELAY', 'throttled'],
    ['SYS/TEMP', 'POP3_SYS_TEMP', 'transient'],
    ['SYS/PERM', 'POP3_SYS_PERM', 'permanent'],
    ['AUTH', 'POP3_AUTH_FAILED', 'auth'],
    ['X-VENDOR-ODD', 'POP3_AUTH_FAILED', 'auth'],
  ];

  it.each(cases)('[%s] becomes %s (%s), keeping the code and the server text apart', async (code, expected, category) => {
    // Prepare
    const server = await startServer({
      handler: (conn, line) => {
        if (!line.startsWith('AUTH PLAIN')) return false;
        conn.line(`-ERR [${code}] mailbox said no\x1b[0m`);
        return true;
      },
    });

    // Act
    const error = await rejectionOf(connectPop3(plainOptions(server, { authMethods: ['PLAIN', 'USER'] })));

    // Assess
    expect(error).toBeInstanceOf(Pop3Error);
    const e = error as Pop3Error;
    expect(e.code).toBe(expected);
    expect(e.category).toBe(category);
    expect(e.responseCode).toBe(code);
    expect(e.serverText).toBe('mailbox said no\\x1b[0m');
    expect(e.message).not.toContain('mailbox said no');
    expect(e.command).toBe('AUTH PLAIN ****');
    // A rejection after credentials were sent is final: no fallback to USER/PASS (lockouts).
    expect(server.commands.some((c) => c.startsWith('USER'))).toBe(false);
  });

  it('in the greeting ([IN-USE] before login) is typed too', async () => {
    const server = await startServer({ greeting: '-ERR [IN-USE] another session is active' });

    const error = await rejectionOf(connectPop3(plainOptions(server)));

    expect((error as Pop3Error).code).toBe('POP3_IN_USE');
    expect((error as Pop3Error).retryable).toBe(true);
  });

  it('on a command in TRANSACTION state ([SYS/TEMP] on RETR) is typed and the session survives', async () => {
    const server = await startServer({
      messages: [{ uid: 'u', body: 'x\r\n' }],
      handler: onCommand('RETR 1', (conn) => conn.line('-ERR [SYS/TEMP] storage hiccup')),
    });
    const session = await connectPop3(plainOptions(server));

    const error = await rejectionOf(session.retr(1));
    await session.quit();

    expect((error as Pop3Error).code).toBe('POP3_SYS_TEMP');
    expect((error as Pop3Error).command).toBe('RETR 1');
  });

  it('on QUIT means deletions may not be committed, and says so', async () => {
    const server = await startServer({
      messages: [{ uid: 'u', body: 'x\r\n' }],
      handler: onCommand('QUIT', (conn) => conn.line('-ERR [SYS/PERM] could not expunge')),
    });
    const session = await connectPop3(plainOptions(server));
    await session.dele(1);

    const error = await rejectionOf(session.quit());

    expect((error as Pop3Error).code).toBe('POP3_SYS_PERM');
  });
});
