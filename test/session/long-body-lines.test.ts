import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, readAll } from './helpers.js';

describe('message body lines of any length', () => {
  const startServer = fakeServerPerTest();

  it('a 1 MiB single-line body streams through RETR and the pipelined fetch, octet for octet', async () => {
    // Prepare: real mail breaks RFC 5322's 998 octets (generated HTML, base64 without breaks)
    const body = Buffer.concat([Buffer.from('Subject: one line\r\n\r\n.'), Buffer.alloc(1024 * 1024, 0x42), Buffer.from('\r\n')]);
    const server = await startServer({ messages: [{ uid: 'long', body }, { uid: 'next', body: 'Subject: n\r\n\r\nx\r\n' }] });
    const session = await connectPop3(plainOptions(server));

    // Act
    const single = await readAll(await session.retr(1));
    const fetched: Buffer[] = [];
    for await (const item of session.fetch([{ msg: 1, kind: 'full' }, { msg: 2, kind: 'full' }])) fetched.push(await readAll(item.body));

    // Assess
    expect(single.equals(body)).toBe(true);
    expect(fetched[0]?.equals(body)).toBe(true);
    expect(fetched[1]?.toString()).toBe('Subject: n\r\n\r\nx\r\n');
    await session.quit();
  });
});
