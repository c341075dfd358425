/**
 * Threat: a poll outlives its lease and a second poller gets in, or a slow holder overwrites
 * or deletes the lease of the poller that took over from it. Checked on a fake S3 that enforces
 * If-Match, and on one that accepts and ignores it (as fauxqs does): there the store's own
 * checks (read before renew, read back after writing, touch only a live lease) must hold.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3LeaseStore } from '../../lambda/adapters/s3/lease-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { fakeS3, type FakeS3, type FakeS3Options } from './fake-s3.js';

const KEY = 'b/lease/box.json';
const TTL = 60_000;

const variants: [string, FakeS3Options][] = [
  ['a store that enforces If-Match', {}],
  ['a store that ignores If-Match', { ignoreIfMatch: true }],
];

describe.each(variants)('S3LeaseStore on %s', (_name, options) => {
  let s3: FakeS3;
  let clock: FakeClock;
  beforeEach(() => {
    s3 = fakeS3(options);
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  });
  afterEach(() => s3.mock.restore());

  const storedOwner = (): string => (JSON.parse(s3.objects.get(KEY)!.body.toString('utf8')) as { owner: string }).owner;

  it('keeps a renewed lease away from a second poller long past its first TTL', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    const lease = (await leases.acquire('box', 'long-poll', TTL))!;

    // The sync core renews every ttl/3 while the poll runs: five renewals cover 100 s.
    for (let i = 1; i <= 5; i += 1) {
      clock.advance(TTL / 3);
      expect(await lease.renew(TTL)).toBe(true);
      expect(lease.expiresAt.getTime()).toBe(clock.now().getTime() + TTL);
      expect(await leases.acquire('box', 'second', TTL)).toBeNull();
    }
    expect(storedOwner()).toBe('long-poll');
  });

  it('renews with If-Match on the ETag of the lease it holds', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    const lease = (await leases.acquire('box', 'a', TTL))!;
    const heldEtag = s3.objects.get(KEY)!.etag;

    clock.advance(TTL / 3);
    await lease.renew(TTL);

    const renewal = s3.mock.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
    expect(renewal.IfMatch).toBe(heldEtag);
  });

  it('tells an overtaken holder at its next renewal, and leaves its successor\'s lease whole', async () => {
    // Prepare: the holder's clock lags 70 s behind the successor's, so from the successor's
    // side the lease has expired while the holder still believes it live.
    const holderClock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const successorClock = new FakeClock(Date.parse('2026-01-01T00:01:10Z'));
    const holder = (await new S3LeaseStore({ client: s3.client, bucket: 'b', clock: holderClock }).acquire('box', 'slow', TTL))!;
    const successor = await new S3LeaseStore({ client: s3.client, bucket: 'b', clock: successorClock }).acquire('box', 'next', TTL);
    expect(successor?.owner).toBe('next');
    holderClock.advance(TTL / 3);

    // Act
    const renewed = await holder.renew(TTL);
    await holder.release();

    // Assess
    expect(renewed).toBe(false);
    expect(storedOwner()).toBe('next');
    expect(s3.mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(await successor!.renew(TTL)).toBe(true);
  });

  it('never lets a late release delete the lease of the poller that took over', async () => {
    // Prepare: a's lease expires and b takes over
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    const late = (await leases.acquire('box', 'late', 1_000))!;
    clock.advance(2_000);
    expect((await leases.acquire('box', 'next', TTL))?.owner).toBe('next');

    // Act
    await late.release();

    // Assess
    expect(storedOwner()).toBe('next');
    expect(await leases.acquire('box', 'third', TTL)).toBeNull();
  });

  it('lets exactly one of two pollers racing for an expired lease believe it holds it', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    await leases.acquire('box', 'crashed', 1_000);
    clock.advance(5_000);

    const results = await Promise.all([leases.acquire('box', 'x', TTL), leases.acquire('box', 'y', TTL)]);

    const holders = results.filter((lease) => lease !== null);
    expect(holders).toHaveLength(1);
    expect(storedOwner()).toBe(holders[0]!.owner);
  });

  it('stops renewing a lease this close to its expiry, where a taker may already be writing', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    const lease = (await leases.acquire('box', 'a', TTL))!;
    const puts = s3.mock.commandCalls(PutObjectCommand).length;

    clock.advance(TTL - 1_000);

    expect(await lease.renew(TTL)).toBe(false);
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(puts);
  });
});
