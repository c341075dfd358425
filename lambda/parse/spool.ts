/**
 * Holds one decoded attachment until its SHA-256 (its key) is known: in memory up to a bound,
 * then in a private temp file, so memory stays flat whatever the attachment's size.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError } from './errors.js';

/** Octets gathered before one write to the temp file. */
const FILE_WRITE_BYTES = 256 * 1024;

/** Size and digest of what was spooled. */
export interface SpoolDigest {
  size: number;
  sha256: string;
}

/** A write-once, read-once spool. Call dispose() in every case (it removes the temp file). */
export class Spool {
  private readonly hash: Hash = createHash('sha256');
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private size = 0;
  private dir: string | undefined;
  private file: FileHandle | undefined;
  private digest: SpoolDigest | undefined;

  /** `memoryLimit`: octets kept in memory before moving to a file under `tempDir` (default os.tmpdir()). */
  constructor(
    private readonly memoryLimit: number,
    private readonly tempDir: string = tmpdir(),
  ) {}

  /** Appends decoded octets; resolves once they are buffered or written (backpressure). */
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.file && this.buffered + chunk.length <= this.memoryLimit) {
      // The decoder may reuse nothing, but the caller's chunk is a view: copy what we keep.
      this.chunks.push(Uint8Array.from(chunk));
      this.buffered += chunk.length;
      return;
    }
    try {
      if (!this.file) await this.moveToFile();
      // Small decoded chunks are gathered into one write: a syscall per line would dominate.
      // No copy: flush() concatenates before the caller can reuse the chunk's memory.
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered >= FILE_WRITE_BYTES) await this.flush();
    } catch (error) {
      if (error instanceof ParseError) throw error;
      throw new ParseError('PARSE_SPOOL_FAILED', 'cannot write the attachment spool file', { cause: error });
    }
  }

  /** Ends writing (flushes to the temp file); returns size and SHA-256 (hex). */
  async finish(): Promise<SpoolDigest> {
    if (this.file && this.buffered > 0) {
      try {
        await this.flush();
      } catch (error) {
        throw new ParseError('PARSE_SPOOL_FAILED', 'cannot write the attachment spool file', { cause: error });
      }
    }
    this.digest ??= { size: this.size, sha256: this.hash.digest('hex') };
    return this.digest;
  }

  /** True when the spool moved to a temp file. */
  get onDisk(): boolean {
    return this.file !== undefined;
  }

  /** The spooled octets, from memory or the temp file. */
  async *read(): AsyncGenerator<Uint8Array> {
    if (!this.file) {
      yield* this.chunks;
      return;
    }
    yield* createReadStream('', { fd: this.file, autoClose: false, start: 0, highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
  }

  /** Frees the memory and removes the temp file. Idempotent. */
  async dispose(): Promise<void> {
    this.chunks = [];
    const file = this.file;
    const dir = this.dir;
    this.file = undefined;
    this.dir = undefined;
    await file?.close().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private async moveToFile(): Promise<void> {
    // A private directory with a random name: no attachment name ever reaches the file system.
    this.dir = await mkdtemp(join(this.tempDir, 'pop3-ingest-spool-'));
    this.file = await open(join(this.dir, 'part'), 'wx+', 0o600);
    await this.flush();
  }

  private async flush(): Promise<void> {
    const data = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    await this.file!.write(data);
  }
}
