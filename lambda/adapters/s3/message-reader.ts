/**
 * StoredMessageReader over S3 (replay): one ranged GetObject per message returns the metadata
 * (size, SHA-256, fetch time) and the first octets together; a 404 is a message that is gone.
 * Keys are listed with ListObjectsV2 (the role already has s3:ListBucket on the bucket).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
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

  async *keysUnder(prefix: string): AsyncIterable<string> {
    const { client, bucket } = this.options;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      } catch (error) {
        throw toAdapterError('STORE_FAILED', `listing s3://${bucket}/${prefix}`, error);
      }
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
}
