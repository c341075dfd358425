import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { Pop3Error } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('a server without UIDL', () => {
  const startServer = fakeServerPerTest();

  it('advertised in CAPA: open() fails with POP3_UNSUPPORTED (we cannot tell new mail from old)', async () => {
    const server = await startServer({ capabilities: ['USER', 'TOP', 'SASL PLAIN'] });

    const error = await rejectionOf(createPop3MailSource(plainOptions(server)).open());

    expect((error as Pop3Error).code).toBe('POP3_UNSUPPORTED');
    expect((error as Pop3Error).message).toMatch(/UIDL/);
  });

  it('without CAPA at all: UIDL is tried, and its -ERR becomes POP3_UNSUPPORTED', async () => {
    const server = await startServer({
      messages: [{ uid: 'u', body: 'x\r\n' }],
      handler: (conn, line) => {
        if (line !== 'CAPA' && line !== 'UIDL') return false;
        conn.line('-ERR unknown command');
        return true;
      },
    });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();

    const error = await rejectionOf(mailbox.listMessages());
    mailbox.abort();

    expect((error as Pop3Error).code).toBe('POP3_UNSUPPORTED');
    expect(server.commands).toContain('UIDL');
  });
});
