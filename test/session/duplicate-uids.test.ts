import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import { fakeServerPerTest, plainOptions } from './helpers.js';

describe('a UID the server gives to two messages', () => {
  const startServer = fakeServerPerTest();

  it('leaves out EVERY message carrying it (never guess which is which) and reports each', async () => {
    const server = await startServer({
      messages: [
        { uid: 'same', body: 'first\r\n' },
        { uid: 'unique', body: 'second\r\n' },
        { uid: 'same', body: 'third\r\n' },
      ],
    });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();

    const { listing, rejected } = await mailbox.listMessages();
    const messages = listedMessages(listing);
    await mailbox.quit();

    expect(messages).toEqual([{ msg: 2, uid: 'unique', size: 8 }]);
    expect(rejected).toEqual([
      { msg: 1, uidEscaped: 'same', reason: 'duplicate-uid' },
      { msg: 3, uidEscaped: 'same', reason: 'duplicate-uid' },
    ]);
  });
});
