import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, readAll, rejectionOf } from './helpers.js';

describe('LIST sizes that lie', () => {
  const startServer = fakeServerPerTest();

  const big = 'A'.repeat(70) + '\r\n';

  it('are hints only: the body is read to its terminator whatever LIST said', async () => {
    // Prepare
    const real = big.repeat(100);
    const server = await startServer({
      messages: [{ uid: 'small-claim', body: real, listSize: 10 }, { uid: 'big-claim', body: 'tiny\r\n', listSize: 10_000_000 }],
    });
    const session = await connectPop3(plainOptions(server));

    // Act
    const list = await session.list();
    const bodies: Buffer[] = [];
    for await (const item of session.fetch([{ msg: 1, kind: 'full' }, { msg: 2, kind: 'full' }])) bodies.push(await readAll(item.body));

    // Assess
    expect(list.map((e) => e.size)).toEqual([10, 10_000_000]);
    expect(bodies.map((b) => b.toString())).toEqual([real, 'tiny\r\n']);
    await session.quit();
  });

  it('cannot smuggle a body past maxMessageSize: actual octets are counted', async () => {
    const server = await startServer({ messages: [{ uid: 'liar', body: big.repeat(200), listSize: 100 }] });
    const session = await connectPop3(plainOptions(server, { limits: { maxMessageSize: 4096 } }));

    const error = await rejectionOf(session.retr(1).then(readAll));

    expect((error as Pop3Error).code).toBe('POP3_MESSAGE_TOO_LARGE');
    // The rest was read off the wire and dropped: the session goes on (see message-past-size-cap).
    expect(session.state).toBe('transaction');
    await session.quit();
  });
});
