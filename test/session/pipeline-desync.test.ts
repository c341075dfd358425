import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('an unsolicited reply (pipeline desync)', () => {
  const startServer = fakeServerPerTest();

  it('kills the session instead of pairing replies with the wrong commands', async () => {
    // Prepare: NOOP gets two +OKs; had we kept going, "+OK" would have answered the next DELE
    const server = await startServer({
      messages: [{ uid: 'u1', body: 'x\r\n' }],
      handler: onCommand('NOOP', (conn) => conn.write('+OK\r\n+OK extra\r\n')),
    });
    const session = await connectPop3(plainOptions(server));

    // Act
    await session.noop().catch(() => undefined);
    const error = await rejectionOf(session.dele(1));

    // Assess
    expect((error as Pop3Error).code).toBe('POP3_DESYNC');
    expect((error as Pop3Error).serverText).toBe('+OK extra\\x0d\\x0a');
    expect(session.state).toBe('closed');
    expect(server.commands).not.toContain('DELE 1');
    expect(server.commands).not.toContain('QUIT');
  });
});
