/**
 * Threat: a stored message that is not the message delivered. Courier serves a message with
 * UTF-8 headers (RFC 6532) to a client that did not send UTF8 (RFC 6856) as a generated
 * "Cannot display Unicode content" notice whose MIME boundary changes on every read: the raw
 * object would be Courier's notice, its hash different each poll. Against a real courierpop3d.
 */
import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { courierUnavailable, startCourierPop3 } from './courier-pop3.js';
import { readAll } from './helpers.js';

const delivered = Buffer.from([
  'From: Jürgen Groß <jürgen@bücher.example>',
  'To: Øyvind <øyvind@例え.jp>',
  'Subject: Grüße aus Köln — 請求書',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hallo Jürgen, anbei die Rechnung.',
  '',
].join('\n'), 'utf8');
/** What POP3 carries: the maildir's LF line ends as CRLF (RFC 1939 section 3). */
const onTheWire = Buffer.from(delivered.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');

const unavailable = courierUnavailable();
if (unavailable !== null) console.warn(`skipping the real Courier tests: ${unavailable}`);

describe.skipIf(unavailable !== null)('a message with UTF-8 headers from a real Courier POP3 server', () => {
  it('is fetched octet for octet as delivered: UTF8 is sent after login because CAPA offers it', async () => {
    // Prepare
    const courier = await startCourierPop3({ user: 'alice', password: 'secret', messages: [delivered] });
    try {
      const options = { host: courier.host, port: courier.port, tls: 'none' as const, allowInsecureAuth: true, credentials: { user: 'alice', password: 'secret' } };
      const session = await connectPop3(options);

      // Act
      const single = await readAll(await session.retr(1));
      await session.quit();
      const mailbox = await createPop3MailSource(options).open();
      const fetched: Buffer[] = [];
      for await (const item of mailbox.fetch([{ msg: 1, kind: 'full' }])) fetched.push(await readAll(item.body));
      await mailbox.quit();

      // Assess
      expect(session.capabilities.utf8).toBe(true);
      expect(single.toString('utf8')).not.toContain('Cannot display Unicode content');
      expect(single.equals(onTheWire)).toBe(true);
      expect(fetched[0]?.equals(onTheWire)).toBe(true);
      expect(courier.logs()).toContain('INFO: LOGIN, user=alice');
    } finally {
      await courier.stop();
    }
  });
});
