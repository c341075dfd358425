/**
 * File writing shared by the S3 spool and the local adapters.
 */
import type { FileHandle } from 'node:fs/promises';

/** Writes all of `chunk` at the handle's position: write(2) may write less than asked. */
export async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
