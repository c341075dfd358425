/**
 * An in-memory S3 behind aws-sdk-client-mock that enforces conditional writes as S3 documents
 * them (If-None-Match: * and If-Match answer 412; If-Match on a missing key answers 404), because
 * the emulator does not; or, on request, ignores them the way the emulator does. Used to test compare-and-swap, leases and "already stored".
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
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

/** The fake: a real S3Client whose send() is answered from `objects`. */
export interface FakeS3 {
  client: S3Client;
  mock: AwsClientStub<S3Client>;
  objects: Map<string, FakeObject>;
}

/** An S3 error shaped like the SDK's (name + $metadata.httpStatusCode). */
export function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

/** How the fake treats conditional headers; both enforced by default, as S3 does. */
export interface FakeS3Options {
  /** Accept If-Match and ignore it, as some emulators do (fauxqs 1.9.2). */
  ignoreIfMatch?: boolean;
  /** Accept If-None-Match and ignore it (fauxqs 1.9.2). */
  ignoreIfNoneMatch?: boolean;
}

/** Creates the fake around a fresh client. */
export function fakeS3(options: FakeS3Options = {}): FakeS3 {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(client);
  const objects = new Map<string, FakeObject>();
  const uploads = new Map<string, { key: string; metadata?: Record<string, string>; parts: Map<number, Buffer> }>();
  let uploadCounter = 0;

  const checkConditions = (key: string, input: { IfNoneMatch?: string; IfMatch?: string }): void => {
    const existing = objects.get(key);
    if (input.IfNoneMatch === '*' && existing && options.ignoreIfNoneMatch !== true) throw s3Error('PreconditionFailed', 412);
    if (input.IfMatch !== undefined && options.ignoreIfMatch !== true) {
      if (!existing) throw s3Error('NoSuchKey', 404);
      if (existing.etag !== input.IfMatch) throw s3Error('PreconditionFailed', 412);
    }
  };

  mock.on(PutObjectCommand).callsFake(async (input) => {
    const key = `${input.Bucket}/${input.Key}`;
    const body = await bytesOf(input.Body);
    checkConditions(key, input);
    const etag = etagOf(body);
    objects.set(key, { body, etag, metadata: input.Metadata, contentType: input.ContentType });
    return { ETag: etag };
  });
  mock.on(GetObjectCommand).callsFake(async (input) => {
    const object = objects.get(`${input.Bucket}/${input.Key}`);
    if (!object) throw s3Error('NoSuchKey', 404);
    const copy = Buffer.from(object.body);
    return { ETag: object.etag, Metadata: object.metadata, Body: { transformToByteArray: async () => new Uint8Array(copy) } as never };
  });
  mock.on(DeleteObjectCommand).callsFake(async (input) => {
    const key = `${input.Bucket}/${input.Key}`;
    checkConditions(key, input);
    objects.delete(key);
    return {};
  });
  mock.on(CreateMultipartUploadCommand).callsFake(async (input) => {
    uploadCounter += 1;
    const id = `upload-${uploadCounter}`;
    uploads.set(id, { key: `${input.Bucket}/${input.Key}`, metadata: input.Metadata, parts: new Map() });
    return { UploadId: id, Bucket: input.Bucket, Key: input.Key };
  });
  mock.on(UploadPartCommand).callsFake(async (input) => {
    const upload = uploads.get(input.UploadId ?? '');
    if (!upload) throw s3Error('NoSuchUpload', 404);
    const body = await bytesOf(input.Body);
    if (input.ChecksumSHA256 !== undefined && createHash('sha256').update(body).digest('base64') !== input.ChecksumSHA256) {
      throw s3Error('BadDigest', 400);
    }
    upload.parts.set(input.PartNumber ?? 0, body);
    return { ETag: etagOf(body), ChecksumSHA256: input.ChecksumSHA256 };
  });
  mock.on(CompleteMultipartUploadCommand).callsFake(async (input) => {
    const upload = uploads.get(input.UploadId ?? '');
    if (!upload) throw s3Error('NoSuchUpload', 404);
    checkConditions(upload.key, input);
    const numbers: number[] = (input.MultipartUpload?.Parts ?? []).map((part: { PartNumber?: number }) => part.PartNumber ?? 0);
    const body = Buffer.concat(numbers.map((n) => upload.parts.get(n) ?? Buffer.alloc(0)));
    const etag = `"${createHash('md5').update(body).digest('hex')}-${numbers.length}"`;
    objects.set(upload.key, { body, etag, metadata: upload.metadata });
    uploads.delete(input.UploadId ?? '');
    return { ETag: etag };
  });
  mock.on(AbortMultipartUploadCommand).callsFake(async (input) => {
    uploads.delete(input.UploadId ?? '');
    return {};
  });
  return { client, mock, objects };
}
