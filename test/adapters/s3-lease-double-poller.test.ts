/**
 * Threat: two overlapping scheduled polls fetch the same mailbox at once (duplicate work, and
 * deletes racing stores). S3LeaseStore lets one in; an expired lease is taken over by exactly
 * one; a late release never deletes a successor's lease.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3LeaseStore } from '../../lambda/adapters/s3/lease-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { fakeS3, s3Error, type FakeS3 } from './fake-s3.js';

describe('S3LeaseStore', () => {
  let s3: FakeS3;
  let clock: FakeClock;
  beforeEach(() => {
    s3 = fakeS3();
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  });
  afterEach(() => s3.mock.restore());

  it('creates the lease with If-None-Match: * and reports owner and expiry', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', prefix: 'p/', clock });

    const lease = await leases.acquire('box', 'poller-1', 60_000);

    expect(lease?.owner).toBe('poller-1');
    expect(lease?.expiresAt.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    const input = s3.mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input.Key).toBe('p/lease/box.json');
    expect(input.IfNoneMatch).toBe('*');
  });

  it('lets only one of two concurrent pollers in', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });

    const [a, b] = await Promise.all([leases.acquire('box', 'a', 60_000), leases.acquire('box', 'b', 60_000)]);

    expect([a, b].filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('refuses a live lease and takes over an expired one with If-Match on its ETag', async () => {
    // Prepare
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    await leases.acquire('box', 'a', 60_000);
    const staleEtag = s3.objects.get('b/lease/box.json')!.etag;

    // Act + Assess
    expect(await leases.acquire('box', 'b', 60_000)).toBeNull();
    clock.advance(60_000);
    const taken = await leases.acquire('box', 'b', 60_000);
    expect(taken?.owner).toBe('b');
    const takeover = s3.mock.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
    expect(takeover.IfMatch).toBe(staleEtag);
  });

  it('lets exactly one of two pollers take over the same expired lease', async () => {
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    await leases.acquire('box', 'old', 1_000);
    clock.advance(5_000);

    const results = await Promise.all([leases.acquire('box', 'x', 60_000), leases.acquire('box', 'y', 60_000)]);

    expect(results.filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('releases with If-Match, so a late release leaves the successor\'s lease alone', async () => {
    // Prepare: a's lease expires and b takes over
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });
    const a = await leases.acquire('box', 'a', 1_000);
    clock.advance(2_000);
    const b = await leases.acquire('box', 'b', 60_000);

    // Act
    await a!.release();

    // Assess: an expired lease is not ours to touch; the holder's own release deletes with If-Match.
    expect(s3.mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(s3.objects.has('b/lease/box.json')).toBe(true);
    expect(await leases.acquire('box', 'c', 60_000)).toBeNull();
    const successorEtag = s3.objects.get('b/lease/box.json')!.etag;
    await b!.release();
    expect(s3.mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input.IfMatch).toBe(successorEtag);
    expect(s3.objects.has('b/lease/box.json')).toBe(false);
    expect(await leases.acquire('box', 'c', 60_000)).not.toBeNull();
  });

  it('treats an unreadable lease document as expired rather than locking the mailbox forever', async () => {
    s3.objects.set('b/lease/box.json', { body: Buffer.from('not json'), etag: '"junk"' });
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });

    expect((await leases.acquire('box', 'a', 60_000))?.owner).toBe('a');
  });

  it('reports an S3 outage as LEASE_FAILED, not as "held by someone else"', async () => {
    s3.mock.on(PutObjectCommand).rejects(s3Error('ServiceUnavailable', 503));
    const leases = new S3LeaseStore({ client: s3.client, bucket: 'b', clock });

    await expect(leases.acquire('box', 'a', 60_000)).rejects.toMatchObject({ code: 'LEASE_FAILED', category: 'transient' });
  });
});
