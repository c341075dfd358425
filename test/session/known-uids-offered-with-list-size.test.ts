/**
 * Issue 15: the sync core takes the UIDs it knows while UIDL streams (listing-known.ts). The
 * threat: a UID taken before its LIST size is known (a message LIST does not name would then
 * count as listed), or a taken UID left in the listing too (counted twice). So LIST goes first,
 * each UIDL entry is offered with its size, and a taken entry is not in the listing.
 */
import { describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import type { KnownUids } from '../../lambda/sync/ports.js';
import { fakeServerPerTest, plainOptions } from './helpers.js';

describe('UIDs the sync core knows, offered while UIDL streams', () => {
  const startServer = fakeServerPerTest();

  it('are offered with their LIST size, and a taken one is left out of the listing', async () => {
    // Prepare
    const server = await startServer({ messages: [{ uid: 'new-1', body: 'a\r\n' }, { uid: 'known', body: 'bb\r\n' }, { uid: 'new-2', body: 'ccc\r\n' }] });
    const mailbox = await createPop3MailSource(plainOptions(server)).open();
    const offered: Array<[string, number, number | undefined]> = [];
    const known: KnownUids = {
      take(uid, length, msg, size) {
        const text = Buffer.from(uid.subarray(0, length)).toString('latin1');
        offered.push([text, msg, size]);
        return text === 'known';
      },
      rejected: () => [{ msg: 9, uid: 'taken\\twice', reason: 'duplicate-uid' }],
    };
    // Act
    const { listing, rejected } = await mailbox.listMessages(known);
    await mailbox.quit();
    // Assess
    expect(server.commands.filter((c) => c === 'LIST' || c === 'UIDL')).toEqual(['LIST', 'UIDL']);
    expect(offered).toEqual([['new-1', 1, 3], ['known', 2, 4], ['new-2', 3, 5]]);
    expect(listedMessages(listing)).toEqual([{ msg: 1, uid: 'new-1', size: 3 }, { msg: 3, uid: 'new-2', size: 5 }]);
    // What the taker rejects is reported with the source's own, escaped like them.
    expect(rejected).toEqual([{ msg: 9, uidEscaped: 'taken\\x5ctwice', reason: 'duplicate-uid' }]);
  });
});
