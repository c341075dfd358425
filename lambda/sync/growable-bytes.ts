/**
 * Octets appended into one buffer that grows by doubling, never past `limit`: one copy per
 * chunk, linear even for a sender of one octet per chunk, and no large zeroed buffer for a small
 * body (a fixed 64 KiB per message was most of the CLI's garbage on 10,000 small messages).
 */
export class GrowableBytes {
  private buffer: Uint8Array;
  private used = 0;

  constructor(initialBytes: number, private readonly limit = Number.POSITIVE_INFINITY) {
    this.buffer = new Uint8Array(Math.min(initialBytes, limit));
  }

  /** Octets held. */
  get length(): number {
    return this.used;
  }

  /** Octets allocated. */
  get capacity(): number {
    return this.buffer.length;
  }

  /** Appends what fits under the limit; returns how many octets of `chunk` were taken. */
  append(chunk: Uint8Array): number {
    const take = Math.min(chunk.length, this.limit - this.used);
    const needed = this.used + take;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(needed, 2 * this.buffer.length)));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    this.buffer.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.used);
    this.used = needed;
    return take;
  }

  /** The octets so far, as a view of the buffer: valid until the next append. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }
}
