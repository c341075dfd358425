/**
 * Reads and conditional writes of the small per-mailbox JSON documents the S3 stores keep (state,
 * lease): every read returns the ETag, every write carries If-None-Match: * or If-Match: <etag>,
 * so exactly one of two racing writers wins
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AdapterError, toAdapterError, type AdapterErrorCode } from '../errors.js';
import { isConditionalConflict, isNotFound, isPreconditionFailed } from './s3-errors.js';

/** One object, and the adapter code its failures are reported under. */
export interface S3Document {
  client: S3Client;
  bucket: string;
  key: string;
  code: AdapterErrorCode;
}

/** Create only if absent, or replace only the version that was read. */
export type WriteCondition = { IfNoneMatch: '*' } | { IfMatch: string };

/** The outcome of a conditional write: the new ETag, or S3's answer when the condition lost. */
export type ConditionalWrite = { etag: string } | { lost: unknown };

/** GetObject returning the bytes and the ETag; null when no object exists. `what` names the action in errors. */
export async function readDocument(doc: S3Document, what: string): Promise<{ body: Uint8Array; etag: string } | null> {
  const { client, bucket, key, code } = doc;
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (response.Body === undefined || response.ETag === undefined) {
      throw new AdapterError(code, 'transient', `GetObject s3://${bucket}/${key} returned no body or ETag`);
    }
    return { body: await response.Body.transformToByteArray(), etag: response.ETag };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw toAdapterError(code, `${what} s3://${bucket}/${key}`, error);
  }
}

/** PutObject of a body (JSON unless `contentType` says otherwise; gzip-compressed when `contentEncoding` says so) under `condition`. `what` names the action in errors. */
export async function writeDocument(
  doc: S3Document,
  body: Uint8Array,
  condition: WriteCondition,
  what: string,
  contentEncoding?: 'gzip',
  contentType = 'application/json',
): Promise<ConditionalWrite> {
  const { client, bucket, key, code } = doc;
  try {
    const response = await client.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ...(contentEncoding === undefined ? {} : { ContentEncoding: contentEncoding }),
      ...condition,
    }));
    if (response.ETag === undefined) throw new AdapterError(code, 'transient', `PutObject s3://${bucket}/${key} returned no ETag`);
    return { etag: response.ETag };
  } catch (error) {
    // 412: exists / changed; 409: a concurrent conditional write; 404: If-Match on a deleted key.
    if (isPreconditionFailed(error) || isConditionalConflict(error) || ('IfMatch' in condition && isNotFound(error))) return { lost: error };
    throw toAdapterError(code, `${what} s3://${bucket}/${key}`, error);
  }
}
