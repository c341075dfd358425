/**
 * The per-mailbox state document in S3, with compare-and-swap on the ETag.
 *
 * S3 conditional writes make this safe without DynamoDB: If-Match: <etag> succeeds only if
 * nobody wrote since we loaded, If-None-Match: * only if nobody created it first. A 412 (lost
 * the race) or 409 ConditionalRequestConflict (a concurrent conditional write) is STATE_CONFLICT
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 *
 * The document (the manifest of schema 3, or a schema 2 document being migrated) is stored
 * gzip-compressed (Content-Encoding: gzip). Documents written uncompressed by earlier versions
 * are recognised by their first bytes and still load. The segments it names are immutable
 * objects beside it (`state/<mailboxId>.seg/<name>`), created with If-None-Match: * and already
 * compact (lambda/sync/state-codec.ts), so stored as they are.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LoadedState, StateStore, StateVersion } from '../../sync/ports.js';
import { AdapterError } from '../errors.js';
import { checkMailboxId } from '../names.js';
import { isSegmentName } from '../../sync/state-codec.js';
import { readDocument, writeDocument, type S3Document, type WriteCondition } from './conditional-object.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Largest state document accepted once decompressed: 512 MiB, about 2.5 million messages at
 * ~200 bytes each (100,000 kept messages are 20.7 MB). gzip compresses up to ~1000:1, so a
 * small hostile or corrupt object could otherwise inflate to gigabytes inside a Lambda; zlib
 * stops at this many output bytes (maxOutputLength) and the load fails with a clear error.
 */
export const MAX_STATE_DOCUMENT_BYTES = 512 * 1024 * 1024;
/** Level 3: within 2% of level 6's size at two thirds of its CPU (measured on a 20.7 MB state). */
const GZIP_LEVEL = 3;

/** RFC 1952 section 2.3.1: every gzip member starts with ID1 ID2 = 0x1f 0x8b; JSON never does. */
function isGzip(body: Uint8Array): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** Options for S3StateStore. */
export interface S3StateStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. "pop3-ingest/"; the document is `${prefix}state/${mailboxId}.json`. */
  prefix?: string;
  /** Largest decompressed document accepted; default (and most) MAX_STATE_DOCUMENT_BYTES. */
  maxDocumentBytes?: number;
}

/** StateStore over one S3 object per mailbox; the version is the object's ETag. */
export class S3StateStore implements StateStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly maxDocumentBytes: number;

  constructor(options: S3StateStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.maxDocumentBytes = Math.min(options.maxDocumentBytes ?? MAX_STATE_DOCUMENT_BYTES, MAX_STATE_DOCUMENT_BYTES);
  }

  /** The S3 key of a mailbox's state document. */
  keyFor(mailboxId: string): string {
    return `${this.prefix}state/${checkMailboxId(mailboxId)}.json`;
  }

  /** Loads the document and its ETag, or null if the mailbox has none yet. */
  async load(mailboxId: string): Promise<LoadedState | null> {
    const current = await readDocument(this.document(mailboxId), 'loading state');
    if (current === null) return null;
    if (!isGzip(current.body)) return { body: current.body, version: current.etag };
    try {
      const body = await gunzipAsync(current.body, { maxOutputLength: this.maxDocumentBytes });
      return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), version: current.etag };
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new AdapterError('STATE_FAILED', 'permanent',
          `state of mailbox ${mailboxId} inflates past ${this.maxDocumentBytes} bytes (the documented maximum); refusing to load it`, { cause: error });
      }
      throw new AdapterError('STATE_FAILED', 'permanent', `state of mailbox ${mailboxId} is not valid gzip`, { cause: error });
    }
  }

  /** Writes only if the ETag still equals `expected` (null: only if absent); returns the new ETag. */
  async save(mailboxId: string, body: Uint8Array, expected: StateVersion | null): Promise<StateVersion> {
    const condition: WriteCondition = expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected };
    const compressed = await gzipAsync(body, { level: GZIP_LEVEL });
    const written = await writeDocument(this.document(mailboxId), compressed, condition, 'saving state', 'gzip');
    // If-Match on a key that no longer exists answers 404: someone deleted it, also a lost race.
    if ('lost' in written) {
      throw new AdapterError('STATE_CONFLICT', 'throttled', `state of mailbox ${mailboxId} was changed by another writer`, { cause: written.lost });
    }
    return written.etag;
  }

  /** Creates a segment (If-None-Match: *); a retry of a create that landed finds its own bytes. */
  async putSegment(mailboxId: string, name: string, body: Uint8Array): Promise<void> {
    const doc = this.segment(mailboxId, name);
    const written = await writeDocument(doc, body, { IfNoneMatch: '*' }, 'writing state segment', undefined, 'application/octet-stream');
    if (!('lost' in written)) return;
    // The SDK retries a PUT whose reply was lost; the retry then meets the object it created.
    const existing = await readDocument(doc, 'reading state segment');
    if (existing !== null && Buffer.from(existing.body).equals(Buffer.from(body))) return;
    throw new AdapterError('STATE_FAILED', 'permanent', `state segment ${name} of mailbox ${mailboxId} already exists with other bytes`, { cause: written.lost });
  }

  async getSegment(mailboxId: string, name: string): Promise<Uint8Array | null> {
    const found = await readDocument(this.segment(mailboxId, name), 'reading state segment');
    return found === null ? null : found.body;
  }

  /** Best effort: a segment left behind costs storage, never correctness (no manifest names it). */
  async deleteSegments(mailboxId: string, names: readonly string[]): Promise<void> {
    await Promise.all(names.map(async (name) => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.segment(mailboxId, name).key })).catch(() => undefined);
    }));
  }

  private segment(mailboxId: string, name: string): S3Document {
    if (!isSegmentName(name)) throw new AdapterError('STATE_FAILED', 'permanent', 'invalid state segment name');
    return { client: this.client, bucket: this.bucket, key: `${this.prefix}state/${checkMailboxId(mailboxId)}.seg/${name}`, code: 'STATE_FAILED' };
  }

  private document(mailboxId: string): S3Document {
    return { client: this.client, bucket: this.bucket, key: this.keyFor(mailboxId), code: 'STATE_FAILED' };
  }
}
