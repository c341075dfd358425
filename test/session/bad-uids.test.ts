import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('invalid UIDs from the server', () => {
  const startServer = fakeServerPerTest();

  it('leave their message out of the listing and are reported, escaped', async () => {
    // Prepare: an overlong UID, one with a control character, one with 8-bit bytes
    const server = await startServer({
      messages: [
        { uid: 'good-1', body: 'a\r\n' },
        { uid: 'x'.repeat(71), body: 'b\r\n' },
        { uid: 'bad\x07bell', body: 'c\r\n' },
        { uid: 'caf\xe9', body: 'd\r\n' }, // the fake writes it UTF-8 encoded: 8-bit bytes
        { uid: 'good-5', body: 'e\r\n' },
      ],
    });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();

    // Act
    const { listing, rejected } = await mailbox.listMessages();
    const messages = listedMessages(listing);
    await mailbox.quit();

    // Assess
    expect(messages.map((m) => [m.msg, m.uid])).toEqual([[1, 'good-1'], [5, 'good-5']]);
    expect(rejected.map((r) => [r.msg, r.reason])).toEqual([[2, 'invalid-uid'], [3, 'invalid-uid'], [4, 'invalid-uid']]);
    expect(rejected[1]?.uidEscaped).toBe('bad\\x07bell');
    expect(rejected[2]?.uidEscaped).toBe('caf\\xc3\\xa9');
  });

  it('asked one at a time (UIDL n) is POP3_INVALID_UID', async () => {
    const server = await startServer({ messages: [{ uid: 'has space', body: 'a\r\n' }] });
    const session = await connectPop3(plainOptions(server));

    const error = await rejectionOf(session.uidlOne(1));
    await session.quit();

    expect((error as Pop3Error).code).toBe('POP3_INVALID_UID');
  });
});
