/**
 * Pins the adapter error catalogue and the translation of SDK errors at the boundary: a new code,
 * or an SDK error landing in the wrong category (retrying what cannot succeed, or giving up on
 * what could), must be a deliberate change.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { countRequests } from '../../lambda/adapters/aws-counter.js';
import { ADAPTER_ERROR_CODES, AdapterError, toAdapterError } from '../../lambda/adapters/errors.js';
import { IngestError } from '../../lambda/shared/errors.js';

const sdkError = (name: string, status: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} happened` });

describe('adapter errors', () => {
  it('keeps a closed catalogue of codes', () => {
    expect([...ADAPTER_ERROR_CODES]).toEqual([
      'STORE_FAILED', 'STORE_INTEGRITY', 'INVALID_KEY', 'STATE_CONFLICT', 'STATE_FAILED', 'PUBLISH_FAILED', 'LEASE_FAILED', 'INVALID_CONFIG',
    ]);
  });

  it('is an IngestError with code, category, retryability and cause', () => {
    const cause = new Error('root');
    const error = new AdapterError('STATE_CONFLICT', 'throttled', 'lost the race', { cause });
    expect(error).toBeInstanceOf(IngestError);
    expect(error).toMatchObject({ name: 'AdapterError', code: 'STATE_CONFLICT', category: 'throttled', retryable: true, cause });
  });

  it.each([
    ['InternalError', 500, 'transient', true],
    ['SlowDown', 503, 'transient', true],
    ['AccessDenied', 403, 'permanent', false],
    ['NoSuchBucket', 404, 'permanent', false],
    ['InvalidAccessKeyId', 403, 'auth', false],
    ['ExpiredToken', 400, 'auth', false],
  ] as const)('translates %s (%i) to category %s', (name, status, category, retryable) => {
    const error = toAdapterError('STORE_FAILED', 'storing x', sdkError(name, status));
    expect(error).toMatchObject({ code: 'STORE_FAILED', category, retryable });
    expect(error.message).toContain(name);
  });

  it('translates a dropped connection to a transient error and leaves AdapterErrors alone', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(toAdapterError('PUBLISH_FAILED', 'publishing', reset)).toMatchObject({ category: 'transient', retryable: true });
    const original = new AdapterError('INVALID_KEY', 'permanent', 'bad');
    expect(toAdapterError('STORE_FAILED', 'x', original)).toBe(original);
  });
});

describe('countRequests', () => {
  it('counts each request a client sends by command name, once per client', async () => {
    // Prepare: a client whose HTTP handler answers locally, so nothing leaves the process
    const client = new S3Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      requestHandler: {
        handle: async () => ({ response: { statusCode: 200, headers: {}, body: undefined } as never }),
      } as never,
    });
    const counter = countRequests(client);

    // Act
    const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
    await client.send(new HeadBucketCommand({ Bucket: 'b' }));
    await client.send(new HeadBucketCommand({ Bucket: 'b' }));

    // Assess
    expect(counter.counts).toEqual({ HeadBucketCommand: 2 });
    expect(countRequests(client)).toBe(counter);
  });
});
