/**
 * The S3 side of the hard-kill test: what the bucket holds, and "time passes" for the lease a
 * killed poller left in it.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Leftovers } from './harness.js';

/** Every object under `prefix`: key to bytes. */
export async function bucketObjects(client: S3Client, bucket: string, prefix: string): Promise<Map<string, Buffer>> {
  const objects = new Map<string, Buffer>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
      objects.set(item.Key, Buffer.from(await object.Body!.transformToByteArray()));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/**
 * The killed poller is dead: move its lease's expiry into the past (a plain overwrite, as if
 * its TTL ran out), so the next poll takes it over through the store's own If-Match path.
 */
export async function expireS3Lease(client: S3Client, bucket: string, mailboxId: string): Promise<Leftovers> {
  const key = `lease/${mailboxId}.json`;
  let record: Record<string, unknown>;
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    record = JSON.parse(await object.Body!.transformToString()) as Record<string, unknown>;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return { leases: 0, locks: 0 };
    throw error;
  }
  const expiresAt = new Date(Date.now() - 3_600_000).toISOString();
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${JSON.stringify({ ...record, expiresAt })}\n` }));
  return { leases: 1, locks: 0 };
}
