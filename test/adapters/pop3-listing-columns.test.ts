/**
 * The POP3 source's listing as columns: UIDL joined with LIST by message number, in
 * message-number order, a message LIST leaves out rejected (never fetched, never deleted).
 */
import { describe, expect, it } from 'vitest';
import { joinListing } from '../../lambda/adapters/pop3/column-listing.js';
import { ListSizes, UidlCollector } from '../../lambda/pop3/index.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import type { RejectedListing } from '../../lambda/sync/ports.js';

function listing(uidl: string[], list: string[]): { messages: ReturnType<typeof listedMessages>; rejected: RejectedListing[]; octets: string[] } {
  const collector = new UidlCollector(1000);
  for (const line of uidl) collector.line(line);
  const sizes = new ListSizes(1000);
  for (const line of list) sizes.line(line);
  const rejected: RejectedListing[] = [];
  const joined = joinListing(collector.finish(), sizes, rejected);
  const octets = Array.from({ length: joined.length }, (_, i) => {
    const target = new Uint8Array(80);
    return Buffer.from(target.subarray(0, joined.writeUid(i, target, 0))).toString('latin1');
  });
  return { messages: listedMessages(joined), rejected, octets };
}

describe('the POP3 listing columns', () => {
  it('join UIDL and LIST by message number, and write each UID as its octets', () => {
    const { messages, rejected, octets } = listing(['1 a1', '2 b2', '3 c3'], ['1 10', '2 20', '3 30']);
    expect(messages).toEqual([{ msg: 1, uid: 'a1', size: 10 }, { msg: 2, uid: 'b2', size: 20 }, { msg: 3, uid: 'c3', size: 30 }]);
    expect(octets).toEqual(['a1', 'b2', 'c3']);
    expect(rejected).toEqual([]);
  });

  it('are in message-number order when UIDL was not, and read the right UID at each position', () => {
    const { messages, octets } = listing(['3 c3', '1 a1', '2 b2'], ['2 20', '3 30', '1 10']);
    expect(messages.map((m) => [m.msg, m.uid, m.size])).toEqual([[1, 'a1', 10], [2, 'b2', 20], [3, 'c3', 30]]);
    expect(octets).toEqual(['a1', 'b2', 'c3']);
  });

  it('keep a LIST size of 4 GiB or more exactly (LIST allows 15 digits)', () => {
    const { messages } = listing(['1 a1', '2 b2', '3 c3'], ['1 5000000000', '2 4294967294', '3 999999999999999']);
    expect(messages.map((m) => m.size)).toEqual([5000000000, 4294967294, 999999999999999]);
  });

  it('leave out and report a message UIDL names but LIST does not (an inconsistent listing)', () => {
    const { messages, rejected } = listing(['1 a1', '2 b2', '3 c3'], ['1 10', '3 30']);
    expect(messages.map((m) => m.uid)).toEqual(['a1', 'c3']);
    expect(rejected).toEqual([{ msg: 2, uidEscaped: 'b2', reason: 'invalid-uid' }]);
  });
});
