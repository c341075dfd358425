/**
 * Issue 15: an idle poll of a kept mailbox reads, of each quiet record, only its UID hash and
 * its kind. The other small columns (first seen, sizes, epoch: ~14 octets a UID) are decoded
 * when first read, from the segment bytes already held. The threats: a corrupt column that a
 * load no longer notices (it must still fail the load, not a later step of a poll), and lazily
 * decoded columns that differ from what was written.
 */
import { describe, expect, it, vi } from 'vitest';

const zlib = vi.hoisted(() => ({ inflations: 0 }));
vi.mock('node:zlib', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:zlib')>();
  return {
    ...original,
    inflateRawSync: (...args: Parameters<typeof original.inflateRawSync>) => {
      zlib.inflations += 1;
      return original.inflateRawSync(...args);
    },
  };
});

const { decodeSegment, encodeSegment } = await import('../../../lambda/sync/state-codec.js');
const { RunBuilder, uidDigest } = await import('../../../lambda/sync/quiet-run.js');
type QuietRecord = import('../../../lambda/sync/quiet-run.js').QuietRecord;

function segment(flags: (i: number) => number): { body: Uint8Array; records: QuietRecord[] } {
  const n = 300;
  const records = Array.from({ length: n }, (_, i) => ({
    hash: uidDigest('inbox', `uid-${i}`),
    headerHash: new Uint8Array(16).fill(i % 255 + 1),
    firstSeen: 1_770_000_000 + i * 61,
    listSize: i % 7 === 0 ? 0xffff_ffff : 1000 + i,
    size: i % 5 === 0 ? 0xffff_ffff : 990 + 3 * i,
    flags: flags(i),
    epoch: 1 + (i % 3),
  })).sort((a, b) => Buffer.compare(a.hash, b.hash));
  const builder = new RunBuilder(n);
  for (const r of records) builder.push(r);
  return { body: encodeSegment({ removed: new Uint8Array(0), loud: [], quiet: builder.build() }), records };
}

describe('the small state columns', () => {
  it('are decoded only when first read, and read back as written', () => {
    // Prepare
    const { body, records: written } = segment((i) => i % 4);
    zlib.inflations = 0;
    // Act
    const run = decodeSegment(body, 'inbox', 'base').quiet;
    // Assess: the load checked them (one inflation) and kept the kinds; nothing else yet.
    expect(zlib.inflations).toBe(1);
    expect(Array.from(run.flags)).toEqual(written.map((r) => r.flags));
    expect(zlib.inflations).toBe(1);
    const records = Array.from({ length: run.n }, (_, i) => run.record(i));
    expect(zlib.inflations).toBe(2);
    expect(records.map((r) => ({ ...r, hash: Buffer.from(r.hash), headerHash: Buffer.from(r.headerHash) }))).toEqual(
      written.map((r) => ({ ...r, hash: Buffer.from(r.hash), headerHash: Buffer.from(r.headerHash) })),
    );
    run.record(7);
    expect(zlib.inflations).toBe(2);
  });

  it('still fail the load when one holds a value out of range', () => {
    // Flags past the five defined bits: the load must refuse the segment, not a later step.
    const { body } = segment((i) => (i === 150 ? 40 : 0));
    expect(() => decodeSegment(body, 'inbox', 'base')).toThrow(expect.objectContaining({ code: 'SYNC_STATE_CORRUPT' }));
  });
});
