import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, readAll } from './helpers.js';

describe('a terminator split across TCP writes', () => {
  const startServer = fakeServerPerTest();

  it('is found, and a dot line before it is not mistaken for the end', async () => {
    // Prepare: the reply goes out in pieces, each flushed before the next
    const pieces = ['+OK\r\nline\r', '\n.', '.not the end\r\n', '.', '\r', '\n'];
    const server = await startServer({
      handler: async (conn, line) => {
        if (line !== 'RETR 1') return false;
        conn.socket.setNoDelay(true);
        for (const piece of pieces) {
          if (!conn.socket.write(piece)) await once(conn.socket, 'drain');
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return true;
      },
      messages: [{ uid: 'u1', body: 'unused' }],
    });
    const session = await connectPop3(plainOptions(server));

    // Act
    const body = await readAll(await session.retr(1));
    await session.noop();

    // Assess
    expect(body.toString()).toBe('line\r\n.not the end\r\n');
    await session.quit();
  });
});
