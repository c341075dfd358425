/**
 * An in-memory S3 that enforces what S3 documents and fauxqs ignores: conditional writes
 * (If-None-Match: * and If-Match answer 412, If-Match on a missing key 404, on PutObject,
 * CompleteMultipartUpload and DeleteObject), SHA-256 checksums (BadDigest), and metadata kept
 * with the object. One model, two ways in: `fakeS3()` answers an S3Client through
 * aws-sdk-client-mock (to assert the exact inputs sent), and `startFakeS3Server()`
 * (fake-s3-server.ts) serves the same model over HTTP on loopback for the real SDK.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

/** One stored object. */
export interface FakeObject {
  body: Buffer;
  etag: string;
  metadata?: Record<string, string>;
  contentType?: string;
}

/** Conditions a write or delete may carry. */
export interface FakeConditions {
  IfNoneMatch?: string;
  IfMatch?: string;
}

/** An S3 error shaped like the SDK's (name + $metadata.httpStatusCode). */
export function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
}

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

interface Upload {
  key: string;
  metadata?: Record<string, string>;
  contentType?: string;
  parts: Map<number, Buffer>;
}

/**
 * The bucket contents and S3's rules over them, keyed `bucket/key`. Each operation runs on a
 * complete request body in one synchronous step, so of two racing conditional writes exactly
 * one wins and the other gets 412, as on S3 ("the first write operation to finish succeeds").
 */
/** How the fake treats conditional headers; both enforced by default, as S3 does. */
export interface FakeS3Options {
  /** Accept If-Match and ignore it, as some emulators do (fauxqs 1.9.2). */
  ignoreIfMatch?: boolean;
  /** Accept If-None-Match and ignore it (fauxqs 1.9.2). */
  ignoreIfNoneMatch?: boolean;
}

export class FakeS3Model {
  readonly objects = new Map<string, FakeObject>();
  /** Keys per ListObjectsV2 page (S3 gives at most 1,000); tests lower it to exercise paging. */
  listPageSize = 1000;

  constructor(private readonly options: FakeS3Options = {}) {}

  private readonly uploads = new Map<string, Upload>();
  private uploadCounter = 0;

  put(key: string, body: Buffer, input: FakeConditions & { metadata?: Record<string, string>; contentType?: string; checksumSha256?: string }): { etag: string } {
    checkDigest(body, input.checksumSha256);
    this.check(key, input);
    const etag = etagOf(body);
    this.objects.set(key, { body, etag, ...(input.metadata ? { metadata: input.metadata } : {}), ...(input.contentType ? { contentType: input.contentType } : {}) });
    return { etag };
  }

  /** GetObject: NoSuchKey when missing. */
  get(key: string): FakeObject {
    const object = this.objects.get(key);
    if (!object) throw s3Error('NoSuchKey', 404);
    return object;
  }

  /** HeadObject: a bare 404 (the SDK names it NotFound) when missing. */
  head(key: string): FakeObject {
    const object = this.objects.get(key);
    if (!object) throw s3Error('NotFound', 404);
    return object;
  }

  delete(key: string, input: FakeConditions): void {
    this.check(key, input);
    this.objects.delete(key);
  }

  createUpload(key: string, input: { metadata?: Record<string, string>; contentType?: string }): string {
    this.uploadCounter += 1;
    const id = `upload-${this.uploadCounter}`;
    this.uploads.set(id, { key, ...(input.metadata ? { metadata: input.metadata } : {}), ...(input.contentType ? { contentType: input.contentType } : {}), parts: new Map() });
    return id;
  }

  uploadPart(uploadId: string, partNumber: number, body: Buffer, checksumSha256?: string): { etag: string } {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw s3Error('NoSuchUpload', 404);
    checkDigest(body, checksumSha256);
    upload.parts.set(partNumber, body);
    return { etag: etagOf(body) };
  }

  complete(uploadId: string, partNumbers: readonly number[], input: FakeConditions): { key: string; etag: string } {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw s3Error('NoSuchUpload', 404);
    if (partNumbers.some((n) => !upload.parts.has(n))) throw s3Error('InvalidPart', 400);
    this.check(upload.key, input);
    const body = Buffer.concat(partNumbers.map((n) => upload.parts.get(n) as Buffer));
    const etag = `"${createHash('md5').update(body).digest('hex')}-${partNumbers.length}"`;
    this.objects.set(upload.key, { body, etag, ...(upload.metadata ? { metadata: upload.metadata } : {}), ...(upload.contentType ? { contentType: upload.contentType } : {}) });
    this.uploads.delete(uploadId);
    return { key: upload.key, etag };
  }

  abort(uploadId: string): void {
    this.uploads.delete(uploadId);
  }

  /** Multipart uploads started and neither completed nor aborted. */
  openUploads(): number {
    return this.uploads.size;
  }

  private check(key: string, input: FakeConditions): void {
    const existing = this.objects.get(key);
    if (input.IfNoneMatch === '*' && existing && this.options.ignoreIfNoneMatch !== true) throw s3Error('PreconditionFailed', 412);
    if (input.IfMatch !== undefined && this.options.ignoreIfMatch !== true) {
      if (!existing) throw s3Error('NoSuchKey', 404);
      if (existing.etag !== input.IfMatch) throw s3Error('PreconditionFailed', 412);
    }
  }
}

function checkDigest(body: Buffer, checksumSha256: string | undefined): void {
  if (checksumSha256 !== undefined && createHash('sha256').update(body).digest('base64') !== checksumSha256) throw s3Error('BadDigest', 400);
}

/** The fake behind aws-sdk-client-mock: a real S3Client whose send() is answered from the model. */
export interface FakeS3 {
  client: S3Client;
  mock: AwsClientStub<S3Client>;
  objects: Map<string, FakeObject>;
  model: FakeS3Model;
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Creates the fake around a fresh client. */
export function fakeS3(options: FakeS3Options = {}): FakeS3 {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(client);
  const model = new FakeS3Model(options);
  const at = (input: { Bucket?: string; Key?: string }): string => `${input.Bucket}/${input.Key}`;

  mock.on(PutObjectCommand).callsFake(async (input) => {
    const body = await bytesOf(input.Body);
    const { etag } = model.put(at(input), body, { ...input, metadata: input.Metadata, contentType: input.ContentType, checksumSha256: input.ChecksumSHA256 });
    return { ETag: etag };
  });
  mock.on(GetObjectCommand).callsFake(async (input) => {
    const object = model.get(at(input));
    const copy = Buffer.from(object.body);
    return { ETag: object.etag, Metadata: object.metadata, Body: { transformToByteArray: async () => new Uint8Array(copy) } as never };
  });
  mock.on(HeadObjectCommand).callsFake(async (input) => {
    const object = model.head(at(input));
    return { ETag: object.etag, Metadata: object.metadata, ContentLength: object.body.length, ContentType: object.contentType };
  });
  mock.on(DeleteObjectCommand).callsFake(async (input) => {
    model.delete(at(input), input);
    return {};
  });
  mock.on(CreateMultipartUploadCommand).callsFake(async (input) => {
    const id = model.createUpload(at(input), { metadata: input.Metadata, contentType: input.ContentType });
    return { UploadId: id, Bucket: input.Bucket, Key: input.Key };
  });
  mock.on(UploadPartCommand).callsFake(async (input) => {
    const body = await bytesOf(input.Body);
    const { etag } = model.uploadPart(input.UploadId ?? '', input.PartNumber ?? 0, body, input.ChecksumSHA256);
    return { ETag: etag, ChecksumSHA256: input.ChecksumSHA256 };
  });
  mock.on(CompleteMultipartUploadCommand).callsFake(async (input) => {
    const numbers: number[] = (input.MultipartUpload?.Parts ?? []).map((part: { PartNumber?: number }) => part.PartNumber ?? 0);
    const { etag } = model.complete(input.UploadId ?? '', numbers, input);
    return { ETag: etag };
  });
  mock.on(AbortMultipartUploadCommand).callsFake(async (input) => {
    model.abort(input.UploadId ?? '');
    return {};
  });
  return { client, mock, objects: model.objects, model };
}
