import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

const messages = Array.from({ length: 20 }, (_, i) => ({ uid: `u${i + 1}`, body: 'Subject: x\r\n\r\nx\r\n' }));

describe('a hostile UIDL or LIST listing', () => {
  const startServer = fakeServerPerTest();

  it('is cut off past maxListingBytes, long before the end of it', async () => {
    // Prepare: 1,000 lines of 8,000 octets each (8 MB) against a 64 KiB cap
    const server = await startServer({
      messages,
      handler: onCommand('UIDL', (c) => {
        c.line('+OK');
        for (let i = 1; i <= 1000; i++) c.write(`${i} ${'x'.repeat(7990)}\r\n`);
        c.line('.');
      }),
    });
    const session = await connectPop3(plainOptions(server, { limits: { maxListingBytes: 64 * 1024 } }));

    // Act
    const error = await rejectionOf(session.uidl());

    // Assess
    expect(error).toMatchObject({ code: 'POP3_LIMIT_EXCEEDED', command: 'UIDL' });
    expect((error as Pop3Error).message).toContain('longer than 65536 octets');
  });

  it('is cut off past maxListingEntries, and a message number past it is refused too', async () => {
    const server = await startServer({
      messages,
      handler: onCommand('LIST', (c) => c.multiline('+OK', '1 10\r\n4000000000 10\r\n')),
    });
    const session = await connectPop3(plainOptions(server, { limits: { maxListingEntries: 10 } }));

    const error = await rejectionOf(session.list());

    expect(error).toMatchObject({ code: 'POP3_LIMIT_EXCEEDED' });
    expect((error as Pop3Error).message).toContain('lists message 4000000000');
  });

  it('reports a UID longer than 70 characters as invalid, by its length and first 100 characters', async () => {
    // Prepare: some servers send long UIDs; RFC 1939 section 7 allows at most 70
    const long = 'L'.repeat(5000);
    const server = await startServer({ messages: [{ uid: long, body: 'x\r\n' }, { uid: 'ok', body: 'y\r\n' }, { uid: 'z'.repeat(70), body: 'z\r\n' }] });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();

    // Act
    const listing = await mailbox.listMessages();
    await mailbox.quit();

    // Assess
    expect(listedMessages(listing.listing)).toEqual([{ msg: 2, uid: 'ok', size: 3 }, { msg: 3, uid: 'z'.repeat(70), size: 3 }]);
    expect(listing.rejected).toEqual([{ msg: 1, uidEscaped: `${'L'.repeat(100)}...(5000 characters)`, reason: 'invalid-uid' }]);
  });

  it('a LIST that names a message twice is a protocol error, not a silent overwrite', async () => {
    const server = await startServer({ messages, handler: onCommand('LIST', (c) => c.multiline('+OK', '1 10\r\n1 20\r\n')) });
    const session = await connectPop3(plainOptions(server));

    const error = await rejectionOf(session.listSizes());

    expect(error).toMatchObject({ code: 'POP3_PROTOCOL' });
  });
});
