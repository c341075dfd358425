/**
 * Append-only storage of short octet strings (UIDs) in chunks of 1 MiB, addressed by one
 * uint32 position. Unlike one buffer grown by doubling, a listing of a million UIDs never
 * holds the old and the new copy at once, nor up to twice the octets it needs (issue 15: the
 * listing is most of an idle poll's peak memory). A string never straddles two chunks.
 */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
const OFFSET_MASK = CHUNK - 1;
/** Positions are uint32: at most 4 GiB of octets (listings are bounded far below). */
const MAX_CHUNKS = 2 ** (32 - CHUNK_BITS);

export class OctetChunks {
  /** Full chunks, then the one being filled (the first grows from 64 KiB, a small listing stays small). */
  private readonly chunks: Buffer[] = [Buffer.allocUnsafe(1 << 16)];
  private used = 0;

  /** Appends `text` (one octet a character, latin1) and returns its position. */
  append(text: string): number {
    const length = text.length;
    if (length > CHUNK) throw new RangeError('string longer than a chunk');
    let last = this.chunks.length - 1;
    let chunk = this.chunks[last] as Buffer;
    if (this.used + length > chunk.length) {
      if (chunk.length < CHUNK) {
        const bigger = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(chunk.length * 2, this.used + length)));
        chunk.copy(bigger, 0, 0, this.used);
        chunk = bigger;
        this.chunks[last] = chunk;
      }
      if (this.used + length > chunk.length) {
        if (this.chunks.length >= MAX_CHUNKS) throw new RangeError('octet storage full');
        chunk = Buffer.allocUnsafe(CHUNK);
        this.chunks.push(chunk);
        last += 1;
        this.used = 0;
      }
    }
    const at = this.used;
    chunk.write(text, at, 'latin1');
    this.used = at + length;
    return last * CHUNK + at;
  }

  /** The chunk holding position `position`, and the offset in it. */
  chunkAt(position: number): Buffer {
    return this.chunks[position >>> CHUNK_BITS] as Buffer;
  }

  offsetOf(position: number): number {
    return position & OFFSET_MASK;
  }

  /** The `length` octets at `position` as a string. */
  toString(position: number, length: number): string {
    const offset = position & OFFSET_MASK;
    return this.chunkAt(position).toString('latin1', offset, offset + length);
  }

  /** Drops the unused tail of the last chunk (once appending is over). */
  trim(): void {
    const last = this.chunks.length - 1;
    const chunk = this.chunks[last] as Buffer;
    if (this.used < chunk.length) {
      const exact = Buffer.alloc(this.used);
      chunk.copy(exact, 0, 0, this.used);
      this.chunks[last] = exact;
    }
  }
}
