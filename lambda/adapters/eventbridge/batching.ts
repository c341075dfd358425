/**
 * Splits PutEvents entries into requests within EventBridge's limits: at most 10 entries and
 * 256 KB per request, sizes computed the way AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html):
 * 14 bytes if Time is set, plus the UTF-8 bytes of Source, DetailType, Detail and each Resource.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/** PutEvents accepts at most this many entries per call. */
export const MAX_ENTRIES_PER_REQUEST = 10;
/** PutEvents rejects a request whose entries add up to more than 256 KB. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** The size AWS counts for one entry. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time === undefined ? 0 : 14;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  size += Buffer.byteLength(entry.Detail ?? '', 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/**
 * Groups indices of `sizes` into batches, in order, each within both limits. An index whose own
 * size is over the request limit is never batched: the caller reports it as failed.
 */
export function planBatches(indices: readonly number[], sizes: readonly number[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  for (const index of indices) {
    const size = sizes[index] ?? 0;
    if (size > MAX_REQUEST_BYTES) continue;
    if (current.length === MAX_ENTRIES_PER_REQUEST || currentBytes + size > MAX_REQUEST_BYTES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
