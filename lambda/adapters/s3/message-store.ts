/**
 * Stores raw messages in S3 with a conditional create, so the same key is never written twice.
 *
 * Why not @aws-sdk/lib-storage's Upload: the size and SHA-256 must be in the object's metadata,
 * and S3 takes metadata when the upload starts, before the body has been read. So the body is
 * read first, with memory kept flat:
 * - up to one part (default 5 MiB, S3's minimum) is buffered; if the body ends there (nearly all mail), one
 *   PutObject carries it, with If-None-Match: * and x-amz-checksum-sha256, so S3 itself checks
 *   the bytes against our hash;
 * - a longer body is spooled to a 0600 temp file while hashing (whole and per part), then sent
 *   as a multipart upload: CreateMultipartUpload with the metadata, UploadPart streaming each
 *   range of the file with its own SHA-256 (S3 verifies each part), CompleteMultipartUpload with
 *   If-None-Match: *. Each part is hashed again as it is read back, so a temp file that changed
 *   under us is caught even by an S3 that checks nothing. The upload is aborted on any failure
 *   and the temp file deleted in every case.
 * A 412 from either create means an object already exists under the key
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). Which one
 * decides the answer: HeadObject, and the SHA-256 in its metadata equal to this body's is
 * 'already-stored'; any other (or none: an object we did not write) is 'conflict'.
 *
 * put() holds no state between calls, so several may run at once over the client's keep-alive
 * pool (the SDK's default agent allows 50 sockets); a PUT is durable when S3 answers 200, so
 * commit() has nothing to wait for.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { MessageStore, StoreRequest, StoreResult } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { MESSAGE_CONTENT_TYPE, messageMetadata } from '../message-metadata.js';
import { StreamReclaimer } from '../reclaim.js';
import { checkObjectKey } from '../names.js';
import { isConditionalConflict, isNotFound, isPreconditionFailed } from './s3-errors.js';
import { readBody, type SpooledBody, type SpoolPart } from './spool.js';

/** S3's minimum size for every part but the last (and so our smallest in-memory threshold). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/**
 * Default part size, which is also the largest body sent as a single PutObject. S3's minimum:
 * a big message holds one part's head in memory and then streams one part at a time, so this is
 * what a 100 MiB message costs over a 1 MiB one (8 MiB parts measured +19 MiB of peak RSS, 5 MiB
 * +12; bench/whole, section memory). A message of 5 to 8 MiB takes three requests instead of one.
 */
export const DEFAULT_PART_SIZE = MIN_PART_SIZE;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
const READ_HIGH_WATER_MARK = 256 * 1024;

/** Options for S3MessageStore. */
export interface S3MessageStoreOptions {
  client: S3Client;
  bucket: string;
  /** Multipart part size and in-memory threshold, 5 MiB to 5 GiB (default 5 MiB). */
  partSizeBytes?: number;
  /** Where bodies larger than one part are spooled (default: os.tmpdir()). */
  tmpDir?: string;
}

/** MessageStore over S3: conditional create, streaming, flat memory, SHA-256 in metadata. */
export class S3MessageStore implements MessageStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly tmpDir: string;
  /** One for every put(): the dead buffers of many small bodies add up as well as one big one's. */
  private readonly reclaimer = new StreamReclaimer();

  constructor(options: S3MessageStoreOptions) {
    const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw new AdapterError('INVALID_CONFIG', 'permanent', `partSizeBytes must be an integer from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`);
    }
    if (options.bucket === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'bucket is required');
    this.client = options.client;
    this.bucket = options.bucket;
    this.partSize = partSize;
    this.tmpDir = options.tmpDir ?? tmpdir();
  }

  /** Stores the body under `request.key` unless an object is already there. */
  async put(request: StoreRequest): Promise<StoreResult> {
    checkObjectKey(request.key);
    const body = await readBody(request.body, this.partSize, this.tmpDir, this.reclaimer);
    const sha256Hex = body.sha256.toString('hex');
    const common = {
      Bucket: this.bucket,
      Key: request.key,
      ContentType: MESSAGE_CONTENT_TYPE,
      Metadata: messageMetadata(request, body.size, sha256Hex),
    };
    const result = (status: StoreResult['status']): StoreResult => ({
      status,
      location: { bucket: this.bucket, key: request.key },
      size: body.size,
      sha256: sha256Hex,
    });

    if (body.kind === 'buffered') {
      try {
        await this.client.send(new PutObjectCommand({
          ...common,
          Body: body.bytes,
          ContentLength: body.size,
          ChecksumSHA256: body.sha256.toString('base64'),
          IfNoneMatch: '*',
        }));
        return result('stored');
      } catch (error) {
        if (isPreconditionFailed(error)) return result(await this.compareExisting(request.key, body.size, sha256Hex));
        throw this.translate(error, request.key);
      }
    }

    try {
      const status = await this.putMultipart(common, body);
      return result(status === 'exists' ? await this.compareExisting(request.key, body.size, sha256Hex) : status);
    } finally {
      await body.dispose();
    }
  }

  /** Every put() is durable when it resolves (S3 answers 200 once the object is stored). */
  async commit(): Promise<void> {}

  /** After a 412: the existing object's own SHA-256 (metadata) decides; none is never a match. */
  private async compareExisting(key: string, size: number, sha256Hex: string): Promise<'already-stored' | 'conflict'> {
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) {
        // Deleted between our 412 and this read: no answer is true any more; the next try decides.
        throw new AdapterError('STORE_FAILED', 'transient', `s3://${this.bucket}/${key} existed, then vanished`, { cause: error });
      }
      throw this.translate(error, key);
    }
    const sameLength = head.ContentLength === undefined || head.ContentLength === size;
    return head.Metadata?.sha256 === sha256Hex && sameLength ? 'already-stored' : 'conflict';
  }

  private async putMultipart(
    common: { Bucket: string; Key: string; ContentType: string; Metadata: Record<string, string> },
    body: SpooledBody,
  ): Promise<'stored' | 'exists'> {
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ ...common, ChecksumAlgorithm: 'SHA256' }));
      uploadId = created.UploadId;
      if (uploadId === undefined) throw new AdapterError('STORE_FAILED', 'transient', 'CreateMultipartUpload returned no UploadId');
      const parts: CompletedPart[] = [];
      let sent = 0;
      for (const part of body.parts) {
        parts.push(await this.uploadPart(common.Bucket, common.Key, uploadId, body.path, part));
        sent += part.length;
      }
      if (sent !== body.size) {
        throw new AdapterError('STORE_INTEGRITY', 'transient', `sent ${sent} bytes of a ${body.size}-byte message`);
      }
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: common.Bucket,
        Key: common.Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: '*',
      }));
      uploadId = undefined;
      return 'stored';
    } catch (error) {
      if (isPreconditionFailed(error)) return 'exists';
      throw this.translate(error, common.Key);
    } finally {
      if (uploadId !== undefined) await this.abort(common.Bucket, common.Key, uploadId);
    }
  }

  private async uploadPart(bucket: string, key: string, uploadId: string, path: string, part: SpoolPart): Promise<CompletedPart> {
    const reread = createHash('sha256');
    const reclaimer = new StreamReclaimer();
    let length = 0;
    async function* tapped(): AsyncGenerator<Buffer> {
      const stream = createReadStream(path, { start: part.offset, end: part.offset + part.length - 1, highWaterMark: READ_HIGH_WATER_MARK });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        reread.update(chunk);
        length += chunk.byteLength;
        yield chunk;
        // Each read is a fresh 256 KiB buffer, dead once sent: free them as the part goes out.
        reclaimer.add(chunk.byteLength);
      }
    }
    const checksum = part.sha256.toString('base64');
    const response = await this.client.send(new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: part.number,
      Body: Readable.from(tapped(), { objectMode: false }),
      ContentLength: part.length,
      ChecksumSHA256: checksum,
    }));
    // What was sent must be what was hashed on the way in; S3 checks the part checksum too.
    if (length !== part.length || !reread.digest().equals(part.sha256)) {
      throw new AdapterError('STORE_INTEGRITY', 'transient', `part ${part.number} changed between spooling and upload`);
    }
    if (response.ETag === undefined) throw new AdapterError('STORE_FAILED', 'transient', `UploadPart ${part.number} returned no ETag`);
    // Echo the checksum S3 returns (as lib-storage does): S3 requires it on Complete for an
    // upload created with ChecksumAlgorithm, and an emulator that does not return it gets none.
    if (response.ChecksumSHA256 !== undefined && response.ChecksumSHA256 !== checksum) {
      throw new AdapterError('STORE_INTEGRITY', 'transient', `S3 computed another checksum for part ${part.number}`);
    }
    return response.ChecksumSHA256 === undefined
      ? { PartNumber: part.number, ETag: response.ETag }
      : { PartNumber: part.number, ETag: response.ETag, ChecksumSHA256: response.ChecksumSHA256 };
  }

  private async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch {
      // Best effort: a lifecycle rule (AbortIncompleteMultipartUpload) cleans up what is left.
    }
  }

  private translate(error: unknown, key: string): AdapterError {
    if (isConditionalConflict(error)) {
      // Another conditional write to this key is in flight; its outcome is unknown, so retry later.
      return new AdapterError('STORE_FAILED', 'transient', `concurrent write to s3://${this.bucket}/${key}`, { cause: error });
    }
    return toAdapterError('STORE_FAILED', `storing s3://${this.bucket}/${key}`, error);
  }
}
