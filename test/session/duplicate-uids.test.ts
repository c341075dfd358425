import { afterEach, describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { startFakePop3Server, type FakeServer } from '../support/fake-pop3-server.js';
import { plainOptions } from './helpers.js';

describe('a UID the server gives to two messages', () => {
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('leaves out EVERY message carrying it (never guess which is which) and reports each', async () => {
    server = await startFakePop3Server({
      messages: [
        { uid: 'same', body: 'first\r\n' },
        { uid: 'unique', body: 'second\r\n' },
        { uid: 'same', body: 'third\r\n' },
      ],
    });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();

    const { messages, rejected } = await mailbox.listMessages();
    await mailbox.quit();

    expect(messages).toEqual([{ msg: 2, uid: 'unique', size: 8 }]);
    expect(rejected).toEqual([
      { msg: 1, uidEscaped: 'same', reason: 'duplicate-uid' },
      { msg: 3, uidEscaped: 'same', reason: 'duplicate-uid' },
    ]);
  });
});
