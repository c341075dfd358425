import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('overlong lines from a hostile server', () => {
  const startServer = fakeServerPerTest();

  it('an endless greeting is cut off at maxLineLength, not buffered', async () => {
    const server = await startServer({ greeting: `+OK ${'A'.repeat(100_000)}` });

    const error = await rejectionOf(connectPop3(plainOptions(server)));

    expect((error as Pop3Error).code).toBe('POP3_LIMIT_EXCEEDED');
  });

  it('a CAPA reply with too many lines is refused', async () => {
    const server = await startServer({ capabilities: Array.from({ length: 1000 }, (_, i) => `X-CAP-${i}`) });

    const error = await rejectionOf(connectPop3(plainOptions(server)));

    expect((error as Pop3Error).code).toBe('POP3_LIMIT_EXCEEDED');
  });

  it('a UIDL listing longer than maxListingEntries is refused', async () => {
    const messages = Array.from({ length: 30 }, (_, i) => ({ uid: `u${i}`, body: 'x\r\n' }));
    const server = await startServer({ messages });
    const session = await connectPop3(plainOptions(server, { limits: { maxListingEntries: 10 } }));

    const error = await rejectionOf(session.uidl());

    expect((error as Pop3Error).code).toBe('POP3_LIMIT_EXCEEDED');
  });
});
