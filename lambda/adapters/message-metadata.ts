/**
 * The metadata S3 keeps with every raw message (x-amz-meta-*), so a consumer can check an object
 * without the state or the event (the event's detail says the same). The local folder keeps none
 * beside the file: size and hash come from the file itself (local/folder-store.ts).
 */
import type { StoreRequest } from '../sync/ports.js';

/** Content type of a raw message (RFC 5322 text as fetched; RFC 2046 section 5.2.1). */
export const MESSAGE_CONTENT_TYPE = 'message/rfc822';

/** Builds the user metadata for one stored message; all values are plain ASCII. */
export function messageMetadata(request: Pick<StoreRequest, 'uidHash' | 'fetchedAt' | 'kind'>, size: number, sha256: string): Record<string, string> {
  return {
    'uid-hash': request.uidHash,
    size: String(size),
    sha256,
    'fetched-at': request.fetchedAt.toISOString(),
    kind: request.kind,
  };
}

/** The metadata a replay needs, read back from an object; undefined when it is not ours or malformed. */
export function readMessageMetadata(meta: Readonly<Record<string, string | undefined>>): { size: number; sha256: string; fetchedAt?: Date } | undefined {
  const size = meta['size'];
  const sha256 = meta['sha256'];
  if (size === undefined || !/^\d{1,15}$/.test(size) || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  const fetched = Date.parse(meta['fetched-at'] ?? '');
  return { size: Number(size), sha256, ...(Number.isNaN(fetched) ? {} : { fetchedAt: new Date(fetched) }) };
}
