import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('a server that stalls', () => {
  const startServer = fakeServerPerTest();

  it('mid-command hits the inactivity timeout and the session is killed', async () => {
    // Prepare: RETR gets a status line and a few bytes, then silence
    const server = await startServer({
      messages: [{ uid: 'u1', body: 'x' }],
      handler: onCommand('RETR 1', (conn) => conn.write('+OK\r\nSubject: stalled')),
    });
    const session = await connectPop3(plainOptions(server, { limits: { commandTimeoutMs: 150 } }));

    // Act
    const body = await session.retr(1);
    const error = await rejectionOf((async () => {
      for await (const _ of body) { /* drain */ }
    })());

    // Assess
    expect((error as Pop3Error).code).toBe('POP3_TIMEOUT');
    expect((error as Pop3Error).command).toBe('RETR 1');
    expect(session.state).toBe('closed');
  });

  it('before the greeting hits the one handshake deadline', async () => {
    const server = await startServer({ greeting: null });
    const started = Date.now();

    const error = await rejectionOf(connectPop3(plainOptions(server, { limits: { handshakeTimeoutMs: 200 } })));

    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('during login is bounded by the same deadline', async () => {
    const server = await startServer({ handler: (_conn, line) => line.startsWith('AUTH') || line.startsWith('USER') || line.startsWith('APOP') });

    const error = await rejectionOf(connectPop3(plainOptions(server, { limits: { handshakeTimeoutMs: 200 } })));

    expect((error as Pop3Error).code).toBe('POP3_TIMEOUT');
    expect((error as Pop3Error).retryable).toBe(true);
  });
});
