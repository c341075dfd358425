/**
 * A per-mailbox lease in S3, so two overlapping polls never both fetch the same mailbox.
 *
 * Create with If-None-Match: * (exactly one creator wins); an expired lease is taken over with
 * If-Match on the ETag we read (exactly one taker wins); renew rewrites our own lease with
 * If-Match; release deletes with If-Match, so a poller whose lease expired and was taken over
 * never deletes its successor's lease.
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)
 *
 * Some S3 APIs (emulators such as fauxqs) accept If-Match and ignore it. On those a conditional
 * write always succeeds, so the store also keeps rules that do not lean on the condition:
 * - a takeover or renewal reads the lease back after writing and holds it only if the stored
 *   token is still ours (of two racing takers, the one whose write landed last keeps it);
 * - renew first reads the lease and gives up if the token is not ours, so a holder that was
 *   overtaken finds out at its next renewal instead of overwriting its successor;
 * - a holder touches the object (renew, release) only while its lease is live by a margin:
 *   nobody takes over a live lease, so no successor's lease can sit under the key then. A
 *   release that comes later leaves the lease to lapse by itself (within the margin).
 * The residue on such a store: two takers whose write-then-read-back steps do not interleave
 * can both hold it until the first renewal (ttl/3), when the overtaken one stops.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Clock, Lease, LeaseStore } from '../../sync/ports.js';
import { toAdapterError } from '../errors.js';
import { checkLeaseTtl, decodeLease, encodeLease, isExpired, leaseHandle, newLeaseRecord, renewedRecord, type LeaseRecord } from '../lease-record.js';
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
/**
 * A holder stops touching its lease object this close to expiry (clock skew between pollers
 * plus one S3 request), capped at a quarter of the TTL so short test leases still work.
 */
const SAFETY_MARGIN_MS = 5_000;

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

  /** Takes the lease if it is free or expired; null when a live lease holds it (whoever its owner). */
  async acquire(mailboxId: string, owner: string, ttlMs: number): Promise<Lease | null> {
    checkLeaseTtl(ttlMs);
    const key = this.keyFor(mailboxId);
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const record = newLeaseRecord(owner, this.clock.now(), ttlMs);
      const created = await this.write(key, record, { IfNoneMatch: '*' });
      if (created !== null) return this.lease(key, record, created, ttlMs);

      const current = await this.read(key);
      if (current === null) continue; // released between our create and our read: try again
      if (!isExpired(current.record, this.clock.now())) return null;
      const taken = await this.write(key, record, { IfMatch: current.etag });
      if (taken === null) return null;
      const confirmed = await this.readBack(key, record);
      return confirmed === null ? null : this.lease(key, record, confirmed, ttlMs);
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

  /** The stored ETag if the lease under `key` is exactly `record` after our write; null when another write landed. */
  private async readBack(key: string, record: LeaseRecord): Promise<string | null> {
    const stored = await this.read(key);
    const same = stored?.record?.token === record.token && stored.record.expiresAt === record.expiresAt;
    return same ? stored.etag : null;
  }

  private document(key: string): S3Document {
    return { client: this.client, bucket: this.bucket, key, code: 'LEASE_FAILED' };
  }

  private lease(key: string, record: LeaseRecord, etag: string, ttlMs: number): Lease {
    let currentEtag = etag;
    let margin = Math.min(SAFETY_MARGIN_MS, ttlMs / 4);
    const liveByMargin = (held: LeaseRecord): boolean => Date.parse(held.expiresAt) - this.clock.now().getTime() > margin;
    return leaseHandle(record, {
      renew: async (held, renewTtlMs) => {
        if (!liveByMargin(held)) return null;
        const stored = await this.read(key);
        if (stored?.record?.token !== held.token) return null; // overtaken (possible only where If-Match is ignored)
        const next = renewedRecord(held, this.clock.now(), renewTtlMs);
        if ((await this.write(key, next, { IfMatch: stored.etag })) === null) return null;
        const confirmed = await this.readBack(key, next);
        if (confirmed === null) return null;
        currentEtag = confirmed;
        margin = Math.min(SAFETY_MARGIN_MS, renewTtlMs / 4);
        return next;
      },
      release: async (held) => {
        // Expired or about to: it may be a successor's by now on a store that ignores If-Match.
        if (!liveByMargin(held)) return;
        try {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: currentEtag }));
        } catch (error) {
          // Not ours any more (taken over after expiry) or already gone: nothing to release.
          if (isPreconditionFailed(error) || isNotFound(error) || isConditionalConflict(error)) return;
          throw toAdapterError('LEASE_FAILED', `releasing lease s3://${this.bucket}/${key}`, error);
        }
      },
    });
  }
}
