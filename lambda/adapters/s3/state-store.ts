/**
 * The per-mailbox state document in S3, with compare-and-swap on the ETag.
 *
 * S3 conditional writes make this safe without DynamoDB: If-Match: <etag> succeeds only if
 * nobody wrote since we loaded, If-None-Match: * only if nobody created it first. A 412 (lost
 * the race) or 409 ConditionalRequestConflict (a concurrent conditional write) is STATE_CONFLICT
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LoadedState, StateStore, StateVersion } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { checkMailboxId } from '../names.js';
import { isConditionalConflict, isNotFound, isPreconditionFailed } from './s3-errors.js';

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
    const key = this.keyFor(mailboxId);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined || response.ETag === undefined) {
        throw new AdapterError('STATE_FAILED', 'transient', `GetObject s3://${this.bucket}/${key} returned no body or ETag`);
      }
      return { body: await response.Body.transformToByteArray(), version: response.ETag };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toAdapterError('STATE_FAILED', `loading state s3://${this.bucket}/${key}`, error);
    }
  }

  /** Writes only if the ETag still equals `expected` (null: only if absent); returns the new ETag. */
  async save(mailboxId: string, body: Uint8Array, expected: StateVersion | null): Promise<StateVersion> {
    const key = this.keyFor(mailboxId);
    try {
      const response = await this.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ...(expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected }),
      }));
      if (response.ETag === undefined) {
        throw new AdapterError('STATE_FAILED', 'transient', `PutObject s3://${this.bucket}/${key} returned no ETag`);
      }
      return response.ETag;
    } catch (error) {
      // If-Match on a key that no longer exists answers 404: someone deleted it, also a lost race.
      if (isPreconditionFailed(error) || isConditionalConflict(error) || (expected !== null && isNotFound(error))) {
        throw new AdapterError('STATE_CONFLICT', 'throttled', `state of mailbox ${mailboxId} was changed by another writer`, { cause: error });
      }
      throw toAdapterError('STATE_FAILED', `saving state s3://${this.bucket}/${key}`, error);
    }
  }
}
