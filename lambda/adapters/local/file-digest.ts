/**
 * Size and SHA-256 of an open file, read from its start to its end: how the folder store checks
 * an existing file against a body, and how replay describes a stored message (the folder keeps
 * no metadata beside a file, folder-store.ts).
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Largest read; a smaller file is read with a buffer of its own size. */
const READ_BYTES = 256 * 1024;

/** Reads the whole file; `sizeHint` (its size from stat) only sizes the read buffer. */
export async function digestFile(handle: FileHandle, sizeHint: number): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(1, sizeHint)));
  let size = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, size);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  return { size, sha256: hash.digest('hex') };
}
