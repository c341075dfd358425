/**
 * One seen-state contract, run against every StateStore the sync core can be given: the
 * in-memory fake the sync tests use, the local file store, and the S3 store over a fake S3 that
 * enforces conditional writes (no emulator does). A fake kinder than the adapters (one that
 * lets a stale writer win, or overwrites a segment) would let the crash matrix pass on
 * behaviour production never has. End to end, the same rules keep a real state consistent:
 * the last test saves and loads through StateKeeper on each store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lambda/adapters/local/state-file.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';
import { messageKey } from '../../lambda/sync/keys.js';
import type { StateStore } from '../../lambda/sync/ports.js';
import { fakeS3 } from '../adapters/fake-s3.js';
import { FakeClock } from '../support/fake-clock.js';
import { Faults } from '../support/faults.js';
import { MemoryStateStore } from '../support/memory-stores.js';

type Implementation = () => Promise<{ store: StateStore; cleanup(): Promise<void> }>;

const implementations: [string, Implementation][] = [
  ['MemoryStateStore', async () => ({ store: new MemoryStateStore({ faults: new Faults() }), cleanup: async () => undefined })],
  [
    'FileStateStore',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'state-contract-'));
      return { store: new FileStateStore({ dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'S3StateStore (fake S3 enforcing If-Match / If-None-Match)',
    async () => {
      const s3 = fakeS3({});
      return { store: new S3StateStore({ client: s3.client, bucket: 'b', prefix: 'p/' }), cleanup: async () => s3.mock.restore() };
    },
  ],
];

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe.each(implementations)('StateStore contract: %s', (_name, implementation) => {
  let store: StateStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await implementation());
  });
  afterEach(async () => cleanup());

  it('loads null before the first save, then what was saved with its version', async () => {
    expect(await store.load('box')).toBeNull();
    const version = await store.save('box', bytes('one'), null);
    const loaded = await store.load('box');
    expect(text(loaded?.body)).toBe('one');
    expect(loaded?.version).toBe(version);
  });

  it('creates only when absent: a second create is STATE_CONFLICT', async () => {
    await store.save('box', bytes('one'), null);
    expect(await codeOf(store.save('box', bytes('two'), null))).toBe('STATE_CONFLICT');
    expect(text((await store.load('box'))?.body)).toBe('one');
  });

  it('of two writers that loaded the same version, exactly one wins', async () => {
    const base = await store.save('box', bytes('base'), null);
    await store.save('box', bytes('from A'), base);
    expect(await codeOf(store.save('box', bytes('from B'), base))).toBe('STATE_CONFLICT');
    expect(text((await store.load('box'))?.body)).toBe('from A');
  });

  it('segments are created once and read back; an absent one reads null', async () => {
    await store.putSegment('box', 'seg-1', bytes('alpha'));
    expect(text(await store.getSegment('box', 'seg-1'))).toBe('alpha');
    expect(await store.getSegment('box', 'seg-2')).toBeNull();
    expect(await store.getSegment('other', 'seg-1')).toBeNull();
  });

  it('never overwrites a segment with other bytes', async () => {
    await store.putSegment('box', 'seg-1', bytes('alpha'));
    await expect(store.putSegment('box', 'seg-1', bytes('beta'))).rejects.toThrow();
    expect(text(await store.getSegment('box', 'seg-1'))).toBe('alpha');
  });

  it('refuses a segment name that could be a path', async () => {
    await expect(store.putSegment('box', '../escape', bytes('x'))).rejects.toThrow();
  });

  it('deletes segments, absent ones included, and leaves the others', async () => {
    await store.putSegment('box', 'seg-1', bytes('a'));
    await store.putSegment('box', 'seg-2', bytes('b'));
    await store.deleteSegments('box', ['seg-1', 'never-was']);
    expect(await store.getSegment('box', 'seg-1')).toBeNull();
    expect(text(await store.getSegment('box', 'seg-2'))).toBe('b');
  });

  it('keeps a whole seen-state through StateKeeper: base, deltas, compaction', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const entry = (uid: string) => ({ firstSeen: '2026-01-01T00:00:00.000Z', key: messageKey('', 'box', uid, 'full'), kind: 'full' as const, status: 'published' as const, size: 9, listSize: 9 });
    for (let round = 0; round < 20; round++) {
      const keeper = await StateKeeper.load(store, clock, 'box');
      expect(keeper.state.entries.size).toBe(round * 10);
      for (let i = 0; i < 10; i++) keeper.state.entries.set(`u${round}-${i}`, entry(`u${round}-${i}`));
      keeper.markDirty();
      await keeper.save();
    }
    const last = await StateKeeper.load(store, clock, 'box');
    expect(last.state.entries.get('u7-3')).toEqual(entry('u7-3'));
  });
});
