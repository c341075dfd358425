import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, readAll, rejectionOf } from './helpers.js';

describe('a connection dropped in the middle of a message', () => {
  const startServer = fakeServerPerTest();

  it('errors the body stream instead of ending it, so a truncated mail never looks complete', async () => {
    // Prepare: RETR answers half a message, then the server vanishes
    const server = await startServer({
      messages: [{ uid: 'u1', body: 'x' }],
      handler: (conn, line) => {
        if (!line.startsWith('RETR')) return false;
        conn.write('+OK\r\nSubject: half\r\n\r\nfirst half of the bo');
        conn.socket.end();
        return true;
      },
    });
    const session = await connectPop3(plainOptions(server));

    // Act
    const body = await session.retr(1);
    const error = await rejectionOf(readAll(body));

    // Assess
    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_CONNECTION_CLOSED');
    expect((error as Pop3Error).category).toBe('transient');
    expect(session.state).toBe('closed');
    await expect(session.noop()).rejects.toThrow(Pop3Error);
  });

  it('fails the pipelined fetch, and never sends QUIT (nothing gets deleted)', async () => {
    const server = await startServer({
      messages: [{ uid: 'u1', body: 'a\r\n' }, { uid: 'u2', body: 'b\r\n' }],
      handler: onCommand('RETR 2', (conn) => {
        conn.write('+OK\r\npartial');
        conn.destroy();
      }),
    });
    const session = await connectPop3(plainOptions(server));
    const got: string[] = [];

    const error = await rejectionOf((async () => {
      for await (const item of session.fetch([{ msg: 1, kind: 'full' }, { msg: 2, kind: 'full' }])) {
        got.push((await readAll(item.body)).toString());
      }
    })());

    expect(got).toEqual(['a\r\n']);
    expect((error as Pop3Error).code).toBe('POP3_CONNECTION_CLOSED');
    expect(server.commands).not.toContain('QUIT');
  });
});
