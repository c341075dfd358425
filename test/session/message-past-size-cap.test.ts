import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { MESSAGE_FAULT } from '../../lambda/sync/ports.js';
import { fakeServerPerTest, plainOptions, readAll, rejectionOf } from './helpers.js';

const line = 'A'.repeat(70) + '\r\n';
const CAP = 4096;

describe('a message whose real size passes the engine cap', () => {
  const startServer = fakeServerPerTest();

  // The server lies in LIST (a hint only): nothing before the body says it is too large.
  const messages = [
    { uid: 'before', body: 'Subject: before\r\n\r\nok\r\n' },
    { uid: 'huge', body: line.repeat(2000), listSize: 100 },
    { uid: 'after', body: 'Subject: after\r\n\r\nok\r\n' },
  ];

  it('fails only that body, after the rest of it was read off the wire; the next message arrives', async () => {
    // Prepare
    const server = await startServer({ messages });
    const session = await connectPop3(plainOptions(server, { limits: { maxMessageSize: CAP } }));

    // Act
    const outcomes: string[] = [];
    for await (const item of session.fetch([1, 2, 3].map((msg) => ({ msg, kind: 'full' as const })))) {
      try {
        outcomes.push((await readAll(item.body)).toString());
      } catch (error) {
        outcomes.push(`${item.msg}: ${(error as Pop3Error).code}`);
      }
    }

    // Assess
    expect(outcomes).toEqual([messages[0]!.body, '2: POP3_MESSAGE_TOO_LARGE', messages[2]!.body]);
    expect(session.state).toBe('transaction');
    await session.quit();
  });

  it('leaves the session in sync when the error arrives: the next command gets its own reply', async () => {
    const server = await startServer({ messages });
    const session = await connectPop3(plainOptions(server, { limits: { maxMessageSize: CAP } }));

    const error = await rejectionOf(session.retr(2).then(readAll));

    expect(error).toMatchObject({ code: 'POP3_MESSAGE_TOO_LARGE', command: 'RETR 2' });
    expect((error as Pop3Error).message).toContain(`${line.length * 2000} octets`);
    expect((await readAll(await session.retr(3))).toString()).toBe(messages[2]!.body);
    await session.quit();
    expect(server.commands).toContain('QUIT');
  });

  it('is dropped even when the consumer never reads it (the socket is not left paused)', async () => {
    const server = await startServer({ messages });
    const session = await connectPop3(plainOptions(server, { limits: { maxMessageSize: CAP, bodyHighWaterMark: 1024 } }));

    const bodies: string[] = [];
    for await (const item of session.fetch([1, 2, 3].map((msg) => ({ msg, kind: 'full' as const })))) {
      if (item.msg !== 2) bodies.push((await readAll(item.body)).toString());
    }

    expect(bodies).toEqual([messages[0]!.body, messages[2]!.body]);
    await session.quit();
  });

  it('reaches the sync core through the mail source as an error with code MESSAGE_FAULT', async () => {
    const server = await startServer({ messages });
    const mailbox = await createPop3MailSource(plainOptions(server, { limits: { maxMessageSize: CAP } })).open();

    const codes: string[] = [];
    for await (const item of mailbox.fetch([1, 2, 3].map((msg) => ({ msg, kind: 'full' as const })))) {
      codes.push(await readAll(item.body).then(() => 'ok', (error: { code: string; retryable: boolean }) => `${error.code} retryable=${error.retryable}`));
    }
    await mailbox.quit();

    expect(codes).toEqual(['ok', `${MESSAGE_FAULT} retryable=false`, 'ok']);
  });
});
