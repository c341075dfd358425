/**
 * A per-mailbox lease in S3, so two overlapping polls never both fetch the same mailbox.
 *
 * Create with If-None-Match: * (exactly one creator wins); an expired lease is taken over with
 * If-Match on the ETag we read (exactly one taker wins); release deletes with If-Match, so a
 * poller whose lease expired and was taken over never deletes its successor's lease.
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Clock, Lease, LeaseStore } from '../../sync/ports.js';
import { toAdapterError } from '../errors.js';
import { checkLeaseTtl, decodeLease, encodeLease, isExpired, leaseHandle, newLeaseRecord, type LeaseRecord } from '../lease-record.js';
import { checkMailboxId } from '../names.js';
import { readDocument, writeDocument, type S3Document, type WriteCondition } from './conditional-object.js';
import { isConditionalConflict, isNotFound, isPreconditionFailed } from './s3-errors.js';

/** Options for S3LeaseStore. */
export interface S3LeaseStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix; the lease is `${prefix}lease/${mailboxId}.json`. */
  prefix?: string;
  clock?: Clock;
}

const systemClock: Clock = { now: () => new Date() };
/** Create, or read-then-take-over, at most this many rounds (a lease released mid-way restarts). */
const MAX_ROUNDS = 3;

/** LeaseStore over one S3 object per mailbox, guarded by conditional writes. */
export class S3LeaseStore implements LeaseStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly clock: Clock;

  constructor(options: S3LeaseStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.clock = options.clock ?? systemClock;
  }

  /** The S3 key of a mailbox's lease. */
  keyFor(mailboxId: string): string {
    return `${this.prefix}lease/${checkMailboxId(mailboxId)}.json`;
  }

  /** Takes the lease if it is free or expired; null when another live lease holds it. */
  async acquire(mailboxId: string, owner: string, ttlMs: number): Promise<Lease | null> {
    checkLeaseTtl(ttlMs);
    const key = this.keyFor(mailboxId);
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const record = newLeaseRecord(owner, this.clock.now(), ttlMs);
      const created = await this.write(key, record, { IfNoneMatch: '*' });
      if (created !== null) return this.lease(key, record, created);

      const current = await this.read(key);
      if (current === null) continue; // released between our create and our read: try again
      if (!isExpired(current.record, this.clock.now())) return null;
      const taken = await this.write(key, record, { IfMatch: current.etag });
      return taken === null ? null : this.lease(key, record, taken);
    }
    return null;
  }

  /** PutObject under a condition; the new ETag, or null when the condition failed. */
  private async write(key: string, record: LeaseRecord, condition: WriteCondition): Promise<string | null> {
    const written = await writeDocument(this.document(key), encodeLease(record), condition, 'writing lease');
    return 'lost' in written ? null : written.etag;
  }

  private async read(key: string): Promise<{ record: LeaseRecord | null; etag: string } | null> {
    const current = await readDocument(this.document(key), 'reading lease');
    return current === null ? null : { record: decodeLease(current.body), etag: current.etag };
  }

  private document(key: string): S3Document {
    return { client: this.client, bucket: this.bucket, key, code: 'LEASE_FAILED' };
  }

  private lease(key: string, record: LeaseRecord, etag: string): Lease {
    const { client, bucket } = this;
    return leaseHandle(record, async () => {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
      } catch (error) {
        // Not ours any more (taken over after expiry) or already gone: nothing to release.
        if (isPreconditionFailed(error) || isNotFound(error) || isConditionalConflict(error)) return;
        throw toAdapterError('LEASE_FAILED', `releasing lease s3://${bucket}/${key}`, error);
      }
    });
  }
}
