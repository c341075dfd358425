/**
 * StoredMessageReader over S3 (replay): one ranged GetObject per message returns the metadata
 * (size, SHA-256, fetch time) and the first octets together; a 404 is a message that is gone.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StoredMessageInfo, StoredMessageReader } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { readMessageMetadata } from '../message-metadata.js';
import { isNotFound } from './s3-errors.js';

/** Reads messages an S3MessageStore wrote to `bucket`. */
export class S3MessageReader implements StoredMessageReader {
  constructor(private readonly options: { client: S3Client; bucket: string }) {}

  async read(key: string, headBytes: number): Promise<StoredMessageInfo | null> {
    const { client, bucket } = this.options;
    let response;
    try {
      response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${Math.max(0, headBytes - 1)}` }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toAdapterError('STORE_FAILED', `reading s3://${bucket}/${key}`, error);
    }
    const head = response.Body ? await response.Body.transformToByteArray() : new Uint8Array(0);
    const meta = readMessageMetadata(response.Metadata ?? {});
    if (!meta) throw new AdapterError('STORE_INTEGRITY', 'permanent', `s3://${bucket}/${key} has no pop3-ingest metadata (size, sha256)`);
    return { location: { bucket, key }, ...meta, head: head.subarray(0, headBytes) };
  }
}
