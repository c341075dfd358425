/**
 * Parsed objects (message.json, attachments) in the raw messages' bucket, create-once like the
 * raw store. Size and SHA-256 are known before the put (the parser's spool computed them), so one
 * streaming PutObject carries ContentLength, x-amz-checksum-sha256 (S3 checks the bytes) and
 * If-None-Match: *, whatever the attachment's size: nothing is buffered here. A 412 means an
 * object exists: its SHA-256 (metadata) equal to ours is 'already-stored', else 'conflict'.
 * Metadata comes from parsedObjectMetadata (ASCII, within S3's 2 KB; the untrusted filename only
 * percent-encoded in metadata and Content-Disposition, never in the key).
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parsedObjectMetadata } from '../../parse/metadata.js';
import type { ParsedObject } from '../../parse/types.js';
import type { ParsedObjectStore } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { checkObjectKey } from '../names.js';
import { isConditionalConflict, isNotFound, isPreconditionFailed } from './s3-errors.js';

/** S3's largest single PutObject (an attachment past it cannot be in a POP3 message we accept). */
const MAX_PUT_BYTES = 5 * 1024 * 1024 * 1024;
/**
 * Objects up to this size are read into memory first: the SDK then retries a 500 or a reset by
 * itself (a stream cannot be replayed). message.json and nearly every attachment are below it.
 */
const BUFFERED_PUT_BYTES = 8 * 1024 * 1024;

/** Options for S3ParsedStore. */
export interface S3ParsedStoreOptions {
  client: S3Client;
  bucket: string;
}

/** ParsedObjectStore over S3: conditional create, streaming, checksummed. */
export class S3ParsedStore implements ParsedObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3ParsedStoreOptions) {
    if (options.bucket === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'bucket is required');
    this.client = options.client;
    this.bucket = options.bucket;
  }

  /** Stores the object unless one exists under its key; the body is read to its end either way. */
  async put(object: ParsedObject): Promise<{ status: 'stored' | 'already-stored' | 'conflict' }> {
    checkObjectKey(object.key);
    if (object.size > MAX_PUT_BYTES) throw new AdapterError('STORE_FAILED', 'permanent', `parsed object ${object.key} is larger than one PutObject`);
    const { body, ...described } = object;
    const meta = parsedObjectMetadata(described);
    const reader = body[Symbol.asyncIterator]();
    try {
      const payload = object.size <= BUFFERED_PUT_BYTES ? await readAll(reader) : Readable.from(iterate(reader), { objectMode: false });
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Body: payload,
        ContentLength: object.size,
        ContentType: meta.contentType,
        ...(meta.contentDisposition ? { ContentDisposition: meta.contentDisposition } : {}),
        Metadata: meta.metadata,
        ChecksumSHA256: Buffer.from(object.sha256, 'hex').toString('base64'),
        IfNoneMatch: '*',
      }));
      return { status: 'stored' };
    } catch (error) {
      if (isPreconditionFailed(error)) return { status: await this.compareExisting(object.key, object.size, object.sha256) };
      if (isConditionalConflict(error)) {
        throw new AdapterError('STORE_FAILED', 'transient', `concurrent write to s3://${this.bucket}/${object.key}`, { cause: error });
      }
      throw toAdapterError('STORE_FAILED', `storing s3://${this.bucket}/${object.key}`, error);
    } finally {
      // S3 may answer 412 before reading the body: the contract reads it to its end regardless.
      for (let next = await reader.next(); !next.done; next = await reader.next());
    }
  }

  /** The raw message object under `key`, streamed. */
  async *readMessage(key: string): AsyncIterable<Uint8Array> {
    checkObjectKey(key);
    let stream: AsyncIterable<Uint8Array>;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) throw new AdapterError('STORE_FAILED', 'transient', `GetObject s3://${this.bucket}/${key} returned no body`);
      stream = response.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (error instanceof AdapterError) throw error;
      throw toAdapterError('STORE_FAILED', `reading s3://${this.bucket}/${key}`, error);
    }
    yield* stream;
  }

  private async compareExisting(key: string, size: number, sha256: string): Promise<'already-stored' | 'conflict'> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const sameLength = head.ContentLength === undefined || head.ContentLength === size;
      return head.Metadata?.sha256 === sha256 && sameLength ? 'already-stored' : 'conflict';
    } catch (error) {
      if (isNotFound(error)) throw new AdapterError('STORE_FAILED', 'transient', `s3://${this.bucket}/${key} existed, then vanished`, { cause: error });
      throw toAdapterError('STORE_FAILED', `reading s3://${this.bucket}/${key}`, error);
    }
  }
}

async function readAll(reader: AsyncIterator<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for (let next = await reader.next(); !next.done; next = await reader.next()) chunks.push(next.value);
  return Buffer.concat(chunks);
}

/** The rest of an iterator as an iterable (so the put and the final drain share one reader). */
async function* iterate(reader: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (let next = await reader.next(); !next.done; next = await reader.next()) yield next.value;
}
