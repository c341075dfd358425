/**
 * Bucket housekeeping between runs: fauxqs keeps every object in memory, so each run's bucket
 * is emptied and deleted once it has been checked.
 */
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Deletes every object of `bucket`, then the bucket; returns how many `.eml` objects (messages) it held. */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let messages = 0;
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length === 0) break;
    messages += keys.filter((k) => k.endsWith('.eml')).length;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  return messages;
}
