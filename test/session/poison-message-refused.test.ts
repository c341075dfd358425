import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, readAll } from './helpers.js';

const messages = [
  { uid: 'good-1', body: 'Subject: one\r\n\r\nfirst\r\n' },
  { uid: 'poison', body: 'Subject: never served\r\n\r\nx\r\n' },
  { uid: 'good-3', body: 'Subject: three\r\n\r\nthird\r\n' },
];

/** The server can never serve message 2 (a broken file on its disk): -ERR every time. */
const refuseMessageTwo = (verb: 'RETR 2' | 'TOP 2 0') =>
  onCommand(verb, (c) => c.line('-ERR [SYS/PERM] cannot read message 2\x1b[2J'));

describe('a message the server refuses in a pipelined fetch', () => {
  const startServer = fakeServerPerTest();

  for (const kind of ['full', 'headers'] as const) {
    it(`is yielded as refused (${kind}) and the messages after it still arrive`, async () => {
      // Prepare
      const server = await startServer({ messages, handler: refuseMessageTwo(kind === 'full' ? 'RETR 2' : 'TOP 2 0') });
      const session = await connectPop3(plainOptions(server));

      // Act
      const got: Array<{ msg: number; body: string; refused?: { reason: string; serverText: string } }> = [];
      for await (const item of session.fetch([1, 2, 3].map((msg) => ({ msg, kind })))) {
        got.push({ msg: item.msg, body: (await readAll(item.body)).toString(), ...(item.refused ? { refused: item.refused } : {}) });
      }

      // Assess
      expect(got.map((g) => g.msg)).toEqual([1, 2, 3]);
      expect(got[1]).toEqual({
        msg: 2, body: '',
        refused: { reason: `server refused ${kind === 'full' ? 'RETR' : 'TOP'} for this message`, serverText: '[SYS/PERM] cannot read message 2\\x1b[2J' },
      });
      expect(got[0]?.body).toContain(kind === 'full' ? 'first' : 'Subject: one');
      expect(got[2]?.body).toContain(kind === 'full' ? 'third' : 'Subject: three');
      expect(session.state).toBe('transaction');
      await session.quit();
    });
  }

  it('reaches the sync core through the mail source as FetchedMessage.refused', async () => {
    // Prepare
    const server = await startServer({ messages, handler: refuseMessageTwo('RETR 2') });
    const source = createPop3MailSource(plainOptions(server));
    const mailbox = await source.open();

    // Act
    const got: Array<[number, string | undefined, number]> = [];
    for await (const item of mailbox.fetch([1, 2, 3].map((msg) => ({ msg, kind: 'full' as const })))) {
      got.push([item.msg, item.refused?.serverText, (await readAll(item.body)).length]);
    }
    await mailbox.quit();

    // Assess
    expect(got).toEqual([[1, undefined, messages[0]!.body.length], [2, '[SYS/PERM] cannot read message 2\\x1b[2J', 0], [3, undefined, messages[2]!.body.length]]);
  });
});
