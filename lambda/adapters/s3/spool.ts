/**
 * Reads a message body with bounded memory, hashing as it goes: the first part stays in memory
 * (most mail is small and goes up in one PutObject); anything longer is spooled to a private
 * temp file, with one SHA-256 per upload part computed on the same pass.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AdapterError, toAdapterError } from '../errors.js';
import { writeAll } from '../file-io.js';
import { StreamReclaimer } from '../reclaim.js';

/** S3's ceiling on the number of parts in one multipart upload. */
export const MAX_PARTS = 10_000;

/** A body that ended within the in-memory limit. */
export interface BufferedBody {
  kind: 'buffered';
  bytes: Buffer;
  size: number;
  sha256: Buffer;
}

/** One upload part of a spooled body: byte range in the file and its SHA-256. */
export interface SpoolPart {
  number: number;
  offset: number;
  length: number;
  sha256: Buffer;
}

/** A body spooled to a temp file; `dispose()` deletes the file (always call it). */
export interface SpooledBody {
  kind: 'spooled';
  path: string;
  size: number;
  sha256: Buffer;
  parts: SpoolPart[];
  dispose(): Promise<void>;
}

/**
 * Consumes `body`. Keeps at most `partSize` bytes (plus one chunk) in memory; past that, writes
 * everything to a temp file under `tmpDir`, awaiting each write so memory stays flat. Every
 * octet read is counted by `reclaimer`, which frees the dead buffers behind it (reclaim.ts).
 */
export async function readBody(
  body: AsyncIterable<Uint8Array>,
  partSize: number,
  tmpDir: string,
  reclaimer = new StreamReclaimer(),
): Promise<BufferedBody | SpooledBody> {
  const iterator = body[Symbol.asyncIterator]();
  const whole = createHash('sha256');
  const head: Uint8Array[] = [];
  let size = 0;
  let finished = false;
  try {
    while (size <= partSize) {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        // One chunk (the sync core hands a buffered message over whole): a view, not a copy, so a
        // store in flight holds its message once, not twice.
        const only = head.length === 1 ? (head[0] as Uint8Array) : undefined;
        const bytes = only === undefined ? Buffer.concat(head, size) : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
        return { kind: 'buffered', bytes, size, sha256: whole.update(bytes).digest() };
      }
      head.push(next.value);
      size += next.value.byteLength;
      reclaimer.add(next.value.byteLength);
    }
    const spooled = await spool(head, iterator, whole, partSize, tmpDir, reclaimer);
    finished = true;
    return spooled;
  } finally {
    // Let the source clean up (e.g. drain or drop the POP3 reply) if we stopped early.
    if (!finished) await iterator.return?.().catch(() => undefined);
  }
}

/** Runs a temp-file operation, translating its failure (ENOSPC, EACCES, ...) to STORE_FAILED. */
async function disk<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toAdapterError('STORE_FAILED', 'spooling message to a temp file', error);
  }
}

async function spool(
  head: Uint8Array[],
  iterator: AsyncIterator<Uint8Array>,
  whole: ReturnType<typeof createHash>,
  partSize: number,
  tmpDir: string,
  reclaimer: StreamReclaimer,
): Promise<SpooledBody> {
  const path = join(tmpDir, `pop3-ingest-${randomBytes(12).toString('hex')}.spool`);
  let handle: FileHandle | undefined;
  const dispose = async (): Promise<void> => {
    await rm(path, { force: true });
  };
  const parts: SpoolPart[] = [];
  let partHash = createHash('sha256');
  let partLength = 0;
  let size = 0;

  const closePart = (): void => {
    parts.push({ number: parts.length + 1, offset: size - partLength, length: partLength, sha256: partHash.digest() });
    partHash = createHash('sha256');
    partLength = 0;
  };
  const write = async (chunk: Uint8Array): Promise<void> => {
    whole.update(chunk);
    // Split the chunk at part boundaries so each part's hash covers exactly its bytes.
    let rest = chunk;
    while (rest.byteLength > 0) {
      const take = Math.min(partSize - partLength, rest.byteLength);
      partHash.update(rest.subarray(0, take));
      partLength += take;
      size += take;
      rest = rest.subarray(take);
      if (partLength === partSize) closePart();
    }
    if (Math.ceil(size / partSize) > MAX_PARTS) {
      throw new AdapterError('STORE_FAILED', 'permanent', `message exceeds ${MAX_PARTS} parts of ${partSize} bytes`);
    }
    await disk(() => writeAll(handle as FileHandle, chunk));
    reclaimer.add(chunk.byteLength);
  };

  try {
    // 0o600 and 'wx': mail is private, and a pre-planted file or symlink is never followed.
    handle = await disk(() => open(path, 'wx', 0o600));
    for (const chunk of head) await write(chunk);
    head.length = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      await write(next.value);
    }
    if (partLength > 0) closePart();
    const closing = handle;
    handle = undefined;
    await disk(() => closing.close());
    return { kind: 'spooled', path, size, sha256: whole.digest(), parts, dispose };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await dispose();
    // Disk errors were translated by disk(); the source's own (a dropped POP3 link) pass unchanged.
    throw error;
  }
}
