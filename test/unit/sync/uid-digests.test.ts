import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrayListing } from '../../../lambda/sync/listing.js';
import { HASH_BYTES, uidDigest } from '../../../lambda/sync/quiet-run.js';
import { UidDigester } from '../../../lambda/sync/uid-digests.js';

/** The listing's digests as computed by the match, one hex string each. */
function batchHex(mailboxId: string, uids: string[]): string[] {
  const listing = arrayListing(uids.map((uid, i) => ({ msg: i + 1, uid, size: 1 })));
  const out = new Uint8Array(uids.length * HASH_BYTES);
  new UidDigester(mailboxId).digestAll(uids.length, (i, target, offset) => listing.writeUid(i, target, offset), out);
  return uids.map((_, i) => Buffer.from(out.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)).toString('hex'));
}

const uidChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const uid = fc.array(uidChar, { minLength: 1, maxLength: 70 }).map((cs) => cs.join(''));

describe('the batch UID hash is the state format\'s UID hash', () => {
  it('equals SHA-256(mailboxId NUL uid) for every prefix length around the block boundaries and every UID length', () => {
    // Prefixes of 0..130 octets put the UID (1..70 octets) and the padding across one, two and three blocks.
    for (let p = 0; p <= 130; p++) {
      const mailboxId = 'm'.repeat(p);
      const uids = Array.from({ length: 70 }, (_, k) => String.fromCharCode(0x21 + ((p + k) % 94)).repeat(k + 1));
      const expected = uids.map((u) => Buffer.from(uidDigest(mailboxId, u)).toString('hex'));
      expect(batchHex(mailboxId, uids)).toEqual(expected);
    }
  });

  it('equals it for any mailbox id (UTF-8) and any RFC 1939 UID', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 90 }), fc.array(uid, { minLength: 1, maxLength: 20 }), (mailboxId, uids) => {
        expect(batchHex(mailboxId, uids)).toEqual(uids.map((u) => Buffer.from(uidDigest(mailboxId, u)).toString('hex')));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a UID longer than RFC 1939 allows instead of hashing past its buffer', () => {
    expect(() => batchHex('inbox', ['x'.repeat(71)])).toThrow(RangeError);
  });
});
