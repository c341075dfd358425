/**
 * After a drain: every seeded message is in the bucket exactly once (SHA-256 of the bytes read
 * back, against the seed), every stored message was published at least once, and the seen-state
 * agrees (every UID recorded, none left unpublished).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SeededCorpus } from './corpus.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';

/** What the check found. */
export interface DrainCheck {
  objects: number;
  /** Objects whose SHA-256 matches a seeded message not matched before. */
  matched: number;
  /** Objects that match nothing seeded, or a seeded message a second time. */
  extraOrDuplicate: number;
  /** Seeded messages with no object. */
  missing: number;
  /** Stored messages (by uid-hash metadata) with no "Message Stored" entry published. */
  unpublished: number;
  /** "Message Stored" entries beyond the first per message (at-least-once republishes). */
  republished: number;
  /** Seen-state entries by status. */
  stateByStatus: Record<string, number>;
  /** Size of the seen-state document, octets (it is rewritten at every checkpoint). */
  stateBytes: number;
  /** Octets read back from S3. */
  bytesRead: number;
  verifyMs: number;
  ok: boolean;
}

/** Reads every object under `prefix` back and compares it with the seed and the published log. */
export async function checkDrain(
  s3: S3Client,
  bucket: string,
  prefix: string,
  mailboxId: string,
  corpus: SeededCorpus,
  storedLog: string,
): Promise<DrainCheck> {
  const started = performance.now();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);

  const remaining = new Map(corpus.sha256);
  const uidHashes: string[] = [];
  let matched = 0;
  let extraOrDuplicate = 0;
  let bytesRead = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < keys.length; i = next++) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[i] }));
      const hash = createHash('sha256');
      for await (const chunk of got.Body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        bytesRead += chunk.byteLength;
      }
      const hex = hash.digest('hex');
      const left = remaining.get(hex) ?? 0;
      if (left > 0) {
        remaining.set(hex, left - 1);
        matched += 1;
      } else {
        extraOrDuplicate += 1;
      }
      const uidHash = got.Metadata?.['uid-hash'];
      if (uidHash !== undefined) uidHashes.push(uidHash);
    }
  };
  await Promise.all(Array.from({ length: 16 }, () => worker()));
  const missing = [...remaining.values()].reduce((a, b) => a + b, 0);

  const lines = (await readFile(storedLog, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
  const published = new Set(lines);
  const unpublished = uidHashes.filter((h) => !published.has(h)).length + (keys.length - uidHashes.length);

  const stateByStatus: Record<string, number> = {};
  // Through the adapter and the core's reader (schema 3: a manifest naming segments).
  const store = new S3StateStore({ client: s3, bucket });
  const keeper = await StateKeeper.load(store, { now: () => new Date() }, mailboxId);
  if (keeper.loadedVersion === null) throw new Error(`no seen-state for mailbox ${mailboxId} in s3://${bucket}`);
  // Quiet entries are published by definition; the others carry their status.
  stateByStatus['published'] = keeper.state.entries.quietCount;
  for (const [, entry] of keeper.state.entries.loudEntries()) stateByStatus[entry.status] = (stateByStatus[entry.status] ?? 0) + 1;
  const unpublishedInState = stateByStatus.unpublished ?? 0;

  return {
    objects: keys.length,
    matched,
    extraOrDuplicate,
    missing,
    unpublished,
    republished: lines.length - published.size,
    stateByStatus,
    stateBytes: keeper.traffic.bytesRead,
    bytesRead,
    verifyMs: performance.now() - started,
    ok: missing === 0 && extraOrDuplicate === 0 && unpublished === 0 && unpublishedInState === 0 && keys.length === corpus.messages,
  };
}
