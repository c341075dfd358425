import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import { fakeServerPerTest, plainOptions, readAll } from './helpers.js';

describe('a plain session against a well-behaved server', () => {
  const startServer = fakeServerPerTest();

  it('lists, fetches pipelined, deletes and commits at QUIT', async () => {
    // Prepare
    const server = await startServer({
      messages: [
        { uid: 'a1', body: 'Subject: one\r\n\r\nhello\r\n.dot line\r\n' },
        { uid: 'b2', body: 'Subject: two\r\n\r\nworld\r\n' },
      ],
    });
    const session = await connectPop3(plainOptions(server, { authMethods: ['PLAIN'] }));

    // Act
    const uidl = await session.uidl();
    const list = await session.list();
    const bodies: string[] = [];
    for await (const item of session.fetch([{ msg: 1, kind: 'full' }, { msg: 2, kind: 'headers' }])) {
      bodies.push((await readAll(item.body)).toString('latin1'));
    }
    await session.deleMany([1, 2]);
    await session.quit();

    // Assess
    expect(session.authMethod).toBe('PLAIN');
    expect(session.capabilities.pipelining).toBe(true);
    expect(uidl.entries).toEqual([{ msg: 1, uid: 'a1' }, { msg: 2, uid: 'b2' }]);
    expect(list).toEqual([{ msg: 1, size: 34 }, { msg: 2, size: 23 }]);
    expect(bodies).toEqual(['Subject: one\r\n\r\nhello\r\n.dot line\r\n', 'Subject: two\r\n\r\n']);
    expect(server.deleted).toEqual(['a1', 'b2']);
  });
});

describe('the MailSource adapter over a well-behaved server', () => {
  const startServer = fakeServerPerTest();

  it('lists, fetches, marks deleted and commits only at QUIT', async () => {
    // Prepare
    const { createPop3MailSource } = await import('../../lambda/adapters/pop3/mail-source.js');
    const server = await startServer({
      capabilities: ['USER', 'UIDL', 'TOP', 'PIPELINING', 'SASL PLAIN', 'EXPIRE 30', 'LOGIN-DELAY 300'],
      messages: [{ uid: 'x1', body: 'Subject: a\r\n\r\nA\r\n' }, { uid: 'x2', body: 'Subject: b\r\n\r\nB\r\n' }],
    });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();

    // Act
    const messages = listedMessages((await mailbox.listMessages()).listing);
    const got: string[] = [];
    for await (const item of mailbox.fetch(messages.map((m) => ({ msg: m.msg, kind: 'full' as const })))) {
      got.push((await readAll(item.body)).toString());
    }
    await mailbox.markDeleted([1, 2]);
    const deletedBeforeQuit = [...server.deleted];
    await mailbox.quit();

    // Assess
    expect(mailbox.capabilities).toEqual({ pipelining: true, uidl: true, top: true, expire: 30, loginDelaySeconds: 300 });
    expect(got).toEqual(['Subject: a\r\n\r\nA\r\n', 'Subject: b\r\n\r\nB\r\n']);
    expect(deletedBeforeQuit).toEqual([]);
    expect(server.deleted).toEqual(['x1', 'x2']);
  });
});
