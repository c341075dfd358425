/**
 * One lease contract, run against every LeaseStore the sync core can be given: the in-memory
 * fake the sync tests use, the local lease file, and the S3 lease over a fake S3 that enforces
 * conditional writes and over one that ignores If-Match (as fauxqs does). A fake that is kinder
 * than the adapters (say, one that lets an owner re-acquire its own live lease) would let the
 * sync tests pass on behaviour production never has.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLeaseStore } from '../../lambda/adapters/local/lease-file.js';
import { S3LeaseStore } from '../../lambda/adapters/s3/lease-store.js';
import type { LeaseStore } from '../../lambda/sync/ports.js';
import { fakeS3, type FakeS3Options } from '../adapters/fake-s3.js';
import { FakeClock } from '../support/fake-clock.js';
import { Faults } from '../support/faults.js';
import { MemoryLeaseStore } from '../support/memory-stores.js';

const TTL = 60_000;

/** Builds a store on `clock`; the cleanup runs after each test. */
type Implementation = (clock: FakeClock) => Promise<{ store: LeaseStore; cleanup(): Promise<void> }>;

const overFakeS3 = (options: FakeS3Options): Implementation => async (clock) => {
  const s3 = fakeS3(options);
  return { store: new S3LeaseStore({ client: s3.client, bucket: 'b', clock }), cleanup: async () => s3.mock.restore() };
};

const implementations: [string, Implementation][] = [
  ['MemoryLeaseStore', async (clock) => ({ store: new MemoryLeaseStore({ faults: new Faults() }, clock), cleanup: async () => undefined })],
  [
    'FileLeaseStore',
    async (clock) => {
      const dir = await mkdtemp(join(tmpdir(), 'lease-contract-'));
      return { store: new FileLeaseStore({ dir, clock }), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  ['S3LeaseStore (fake S3 enforcing If-Match)', overFakeS3({})],
  ['S3LeaseStore (fake S3 ignoring If-Match)', overFakeS3({ ignoreIfMatch: true })],
];

describe.each(implementations)('LeaseStore contract: %s', (_name, implementation) => {
  let clock: FakeClock;
  let leases: LeaseStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    ({ store: leases, cleanup } = await implementation(clock));
  });
  afterEach(async () => cleanup());

  it('grants a free lease to its first acquirer, with its owner and an expiry of now + ttl', async () => {
    const lease = await leases.acquire('box', 'a', TTL);

    expect(lease?.owner).toBe('a');
    expect(lease?.expiresAt.toISOString()).toBe('2026-01-01T00:01:00.000Z');
  });

  it('refuses a live lease to another owner and to the same owner name alike', async () => {
    await leases.acquire('box', 'a', TTL);
    clock.advance(TTL - 1);

    expect(await leases.acquire('box', 'b', TTL)).toBeNull();
    expect(await leases.acquire('box', 'a', TTL)).toBeNull();
  });

  it('keeps mailboxes apart', async () => {
    await leases.acquire('box', 'a', TTL);

    expect((await leases.acquire('other', 'b', TTL))?.owner).toBe('b');
  });

  it('lets the next poller in once the holder releases', async () => {
    const lease = await leases.acquire('box', 'a', TTL);

    await lease!.release();

    expect((await leases.acquire('box', 'b', TTL))?.owner).toBe('b');
  });

  it('keeps a lease renewed every ttl/3 away from others long past its first TTL', async () => {
    const lease = (await leases.acquire('box', 'a', TTL))!;

    for (let i = 0; i < 6; i += 1) {
      clock.advance(TTL / 3);
      expect(await lease.renew(TTL)).toBe(true);
      expect(lease.expiresAt.getTime()).toBe(clock.now().getTime() + TTL);
      expect(await leases.acquire('box', 'b', TTL)).toBeNull();
    }
  });

  it('answers false to a renew after expiry, even when nobody took the lease', async () => {
    const lease = (await leases.acquire('box', 'a', TTL))!;
    clock.advance(TTL);

    expect(await lease.renew(TTL)).toBe(false);
    expect((await leases.acquire('box', 'b', TTL))?.owner).toBe('b');
  });

  it('lets one poller take over an expired lease; the old holder can neither renew nor release it', async () => {
    // Prepare
    const old = (await leases.acquire('box', 'old', TTL))!;
    clock.advance(TTL);
    const successor = await leases.acquire('box', 'next', TTL);
    expect(successor?.owner).toBe('next');

    // Act
    const renewed = await old.renew(TTL);
    await old.release();

    // Assess
    expect(renewed).toBe(false);
    expect(await leases.acquire('box', 'third', TTL)).toBeNull();
    clock.advance(TTL / 3);
    expect(await successor!.renew(TTL)).toBe(true);
  });

  it('ignores a second release and answers false to a renew after release', async () => {
    const lease = (await leases.acquire('box', 'a', TTL))!;
    await lease.release();
    const next = await leases.acquire('box', 'b', TTL);

    await lease.release();

    expect(await lease.renew(TTL)).toBe(false);
    expect(next?.owner).toBe('b');
    expect(await leases.acquire('box', 'c', TTL)).toBeNull();
  });

  it('lets exactly one of several concurrent acquirers in', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => leases.acquire('box', `p${i}`, TTL)));

    expect(results.filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('lets exactly one of several concurrent acquirers take over an expired lease', async () => {
    await leases.acquire('box', 'crashed', TTL);
    clock.advance(TTL);

    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => leases.acquire('box', `p${i}`, TTL)));

    expect(results.filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('rejects a lease or a renewal that would never expire', async () => {
    await expect(leases.acquire('box', 'a', 0)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    const lease = (await leases.acquire('box', 'a', TTL))!;
    await expect(lease.renew(Number.POSITIVE_INFINITY)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
