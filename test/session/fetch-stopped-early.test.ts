import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, readAll } from './helpers.js';

describe('a pipelined fetch the consumer stops early', () => {
  const startServer = fakeServerPerTest();

  it('drains what is in flight and leaves the session in sync for DELE and QUIT', async () => {
    // Prepare
    const messages = Array.from({ length: 150 }, (_, i) => ({ uid: `u${i + 1}`, body: `Subject: ${i + 1}\r\n\r\n${'z'.repeat(2000)}\r\n` }));
    const server = await startServer({ messages });
    const session = await connectPop3(plainOptions(server));
    const requests = messages.map((_, i) => ({ msg: i + 1, kind: 'full' as const }));

    // Act: read the first, abandon the second half-read, stop
    let seen = 0;
    for await (const item of session.fetch(requests)) {
      seen++;
      if (seen === 1) await readAll(item.body);
      else break;
    }
    await session.dele(1);
    await session.quit();

    // Assess: it never read ahead more than twice the window (flat memory), and DELE/QUIT
    // got their own replies (no leftover body was taken for one)
    const retrs = server.commands.filter((c) => c.startsWith('RETR')).length;
    expect(retrs).toBeLessThanOrEqual(200);
    expect(server.deleted).toEqual(['u1']);
  });

  it('skipping a body without reading it discards it and the next item is correct', async () => {
    const server = await startServer({ messages: [{ uid: 'a', body: 'first\r\n' }, { uid: 'b', body: 'second\r\n' }] });
    const session = await connectPop3(plainOptions(server));
    const got: string[] = [];

    for await (const item of session.fetch([{ msg: 1, kind: 'full' }, { msg: 2, kind: 'full' }])) {
      if (item.msg === 2) got.push((await readAll(item.body)).toString());
    }
    await session.quit();

    expect(got).toEqual(['second\r\n']);
  });
});
