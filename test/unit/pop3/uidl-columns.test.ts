/**
 * Issue 15: the UIDL listing is kept as columns over the UID octets (uid.ts UidlCollector), and
 * the mail source reads it through `count`, `msg(i)` and `uid(i)`. A wrong offset, a missed
 * duplicate after the hash table grows, or a compaction that shifts one column and not another
 * would pair a message with another message's UID: the sync core would then skip a new mail as
 * "already seen" or fetch an old one again. These tests pin the columns against a plain model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UidlCollector, validateUidlListing } from '../../../lambda/pop3/uid.js';

/** The documented outcome, computed the obvious way (objects, a Map of counts). */
function model(lines: Array<[number, string]>): { entries: Array<{ msg: number; uid: string }>; dups: number[] } {
  const counts = new Map<string, number>();
  for (const [, uid] of lines) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  return {
    entries: lines.filter(([, uid]) => counts.get(uid) === 1).map(([msg, uid]) => ({ msg, uid })),
    dups: lines.filter(([, uid]) => (counts.get(uid) ?? 0) > 1).map(([msg]) => msg),
  };
}

function columns(listing: ReturnType<typeof validateUidlListing>): Array<{ msg: number; uid: string }> {
  const out: Array<{ msg: number; uid: string }> = [];
  for (let i = 0; i < listing.count; i++) out.push({ msg: listing.msg(i), uid: listing.uid(i) });
  return out;
}

describe('UIDL listing columns', () => {
  it('pairs every message with its own UID across buffer and table growth (5,000 entries, varied lengths)', () => {
    const lines: Array<[number, string]> = [];
    for (let msg = 1; msg <= 5000; msg++) lines.push([msg, `u${msg.toString(36)}-${'x'.repeat(msg % 60)}`]);
    const listing = validateUidlListing(lines.map(([msg, uid]) => `${msg} ${uid}`));
    expect(listing.count).toBe(5000);
    expect(columns(listing)).toEqual(model(lines).entries);
    expect(listing.entries).toEqual(model(lines).entries);
    expect(listing.rejected).toEqual([]);
  });

  it('pairs every UID with its octets across 1 MiB chunks, and finds a duplicate in another chunk', () => {
    // 40,000 UIDs of 50-70 octets: about 2.4 MiB, three chunks, UIDs that would straddle a boundary.
    const lines: Array<[number, string]> = [];
    for (let msg = 1; msg <= 40000; msg++) lines.push([msg, `${msg.toString(16).padStart(8, '0')}${'y'.repeat(42 + (msg % 21))}`]);
    lines.push([40001, lines[3]?.[1] as string]);
    const listing = validateUidlListing(lines.map(([msg, uid]) => `${msg} ${uid}`));
    expect(columns(listing)).toEqual(model(lines).entries);
    expect(listing.rejected.map((r) => r.msg)).toEqual([4, 40001]);
    const target = new Uint8Array(80);
    for (let i = 0; i < listing.count; i += 997) {
      expect(Buffer.from(target.subarray(0, listing.writeUid(i, target, 0))).toString('latin1')).toBe(listing.uid(i));
    }
  });

  it('rejects every holder of a duplicated UID, even when the duplicate arrives after the table grew', () => {
    const lines: Array<[number, string]> = [];
    for (let msg = 1; msg <= 3000; msg++) lines.push([msg, msg === 2999 ? 'uid-7' : msg === 3000 ? 'uid-1500' : `uid-${msg}`]);
    const listing = validateUidlListing(lines.map(([msg, uid]) => `${msg} ${uid}`));
    expect(listing.rejected.map((r) => [r.msg, r.reason])).toEqual([[7, 'duplicate-uid'], [1500, 'duplicate-uid'], [2999, 'duplicate-uid'], [3000, 'duplicate-uid']]);
    expect(columns(listing)).toEqual(model(lines).entries);
  });

  it('matches the model on arbitrary listings (duplicates, invalid UIDs, out-of-order numbers)', () => {
    const uid = fc.oneof(fc.constantFrom('a', 'b', 'dup', 'x'.repeat(70)), fc.stringMatching(/^[\x21-\x7e]{1,70}$/));
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 0, maxLength: 300 }), fc.array(uid, { minLength: 300, maxLength: 300 }), (msgs, uids) => {
      const lines = msgs.map((msg, i): [number, string] => [msg, uids[i] as string]);
      const collector = new UidlCollector(400);
      for (const [msg, u] of lines) collector.line(`${msg} ${u}`);
      const listing = collector.finish();
      const expected = model(lines);
      expect(columns(listing)).toEqual(expected.entries);
      expect(listing.rejected.map((r) => r.msg)).toEqual(expected.dups);
    }), { numRuns: 200 });
  });

  it('keeps invalid and duplicate rejections in listing order around the valid columns', () => {
    const listing = validateUidlListing(['3 \x01bad', '1 ok-1', '2 dup', '7 x', '4 dup', '5 \x02', '6 ok-6']);
    expect(listing.rejected.map((r) => [r.msg, r.reason])).toEqual([[3, 'invalid-uid'], [2, 'duplicate-uid'], [4, 'duplicate-uid'], [5, 'invalid-uid']]);
    expect(columns(listing)).toEqual([{ msg: 1, uid: 'ok-1' }, { msg: 7, uid: 'x' }, { msg: 6, uid: 'ok-6' }]);
  });

  it('refuses an index outside the columns instead of reading a neighbour', () => {
    const listing = validateUidlListing(['1 a', '2 b']);
    expect(() => listing.uid(2)).toThrow(RangeError);
    expect(() => listing.msg(-1)).toThrow(RangeError);
  });

  it('still refuses a message number listed twice, valid or not', () => {
    expect(() => validateUidlListing(['1 a', '1 b'])).toThrow(/twice/);
    expect(() => validateUidlListing(['1 \x01', '1 b'])).toThrow(/twice/);
  });
});
