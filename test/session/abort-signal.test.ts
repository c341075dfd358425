import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, readAll, rejectionOf } from './helpers.js';

describe('an AbortSignal', () => {
  const startServer = fakeServerPerTest();

  it('aborts a connect stuck before the greeting, closing the socket', async () => {
    const server = await startServer({ greeting: null });
    const controller = new AbortController();
    const closed = server.nextClose();

    const pending = connectPop3(plainOptions(server, { signal: controller.signal }));
    controller.abort(new Error('shutting down'));
    const error = await rejectionOf(pending);
    await closed;

    expect((error as Pop3Error).code).toBe('POP3_ABORTED');
  });

  it('already aborted never connects', async () => {
    const server = await startServer();

    const error = await rejectionOf(connectPop3(plainOptions(server, { signal: AbortSignal.abort() })));

    expect((error as Pop3Error).code).toBe('POP3_ABORTED');
    expect(server.connections).toBe(0);
  });

  it('aborts a session mid-message: the body errors and no QUIT is sent (nothing deleted)', async () => {
    const server = await startServer({
      messages: [{ uid: 'u', body: 'x\r\n' }],
      handler: onCommand('RETR 1', (conn) => conn.write('+OK\r\nhalf a mess')),
    });
    const controller = new AbortController();
    const session = await connectPop3(plainOptions(server, { signal: controller.signal }));
    await session.dele(1);
    const body = await session.retr(1);
    const closed = server.nextClose();

    const reading = readAll(body);
    controller.abort();
    const error = await rejectionOf(reading);
    await closed;

    expect((error as Pop3Error).code).toBe('POP3_ABORTED');
    expect(session.state).toBe('closed');
    expect(server.commands).not.toContain('QUIT');
    expect(server.deleted).toEqual([]);
  });
});
