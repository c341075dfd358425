/**
 * The per-mailbox state document in S3, with compare-and-swap on the ETag.
 *
 * S3 conditional writes make this safe without DynamoDB: If-Match: <etag> succeeds only if
 * nobody wrote since we loaded, If-None-Match: * only if nobody created it first. A 412 (lost
 * the race) or 409 ConditionalRequestConflict (a concurrent conditional write) is STATE_CONFLICT
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { LoadedState, StateStore, StateVersion } from '../../sync/ports.js';
import { AdapterError } from '../errors.js';
import { checkMailboxId } from '../names.js';
import { readDocument, writeDocument, type S3Document, type WriteCondition } from './conditional-object.js';

/** Options for S3StateStore. */
export interface S3StateStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. "pop3-ingest/"; the document is `${prefix}state/${mailboxId}.json`. */
  prefix?: string;
}

/** StateStore over one S3 object per mailbox; the version is the object's ETag. */
export class S3StateStore implements StateStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StateStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
  }

  /** The S3 key of a mailbox's state document. */
  keyFor(mailboxId: string): string {
    return `${this.prefix}state/${checkMailboxId(mailboxId)}.json`;
  }

  /** Loads the document and its ETag, or null if the mailbox has none yet. */
  async load(mailboxId: string): Promise<LoadedState | null> {
    const current = await readDocument(this.document(mailboxId), 'loading state');
    return current === null ? null : { body: current.body, version: current.etag };
  }

  /** Writes only if the ETag still equals `expected` (null: only if absent); returns the new ETag. */
  async save(mailboxId: string, body: Uint8Array, expected: StateVersion | null): Promise<StateVersion> {
    const condition: WriteCondition = expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected };
    const written = await writeDocument(this.document(mailboxId), body, condition, 'saving state');
    // If-Match on a key that no longer exists answers 404: someone deleted it, also a lost race.
    if ('lost' in written) {
      throw new AdapterError('STATE_CONFLICT', 'throttled', `state of mailbox ${mailboxId} was changed by another writer`, { cause: written.lost });
    }
    return written.etag;
  }

  private document(mailboxId: string): S3Document {
    return { client: this.client, bucket: this.bucket, key: this.keyFor(mailboxId), code: 'STATE_FAILED' };
  }
}
