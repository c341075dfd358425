/**
 * UID hashes of a whole listing in one pass: quiet-run.ts's uidDigest (the first 16 octets of
 * SHA-256(mailboxId NUL uid)), computed from the listing's UID octets without a string or a
 * native call per UID (issue 15: one node:crypto call per listed UID was most of an idle
 * poll's match). SHA-256 is FIPS 180-4, written out for short messages: the mailbox prefix's
 * whole 64-octet blocks are compressed once and their state reused for every UID.
 */
import { HASH_BYTES } from './quiet-run.js';

/** The UID octets of entry `i` of a listing, written into `target` at `offset`; returns their count. */
export type UidWriter = (i: number, target: Uint8Array, offset: number) => number;

const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);
const IV = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

/** Compresses the 64-octet block at `block[at..]` into `h` (FIPS 180-4 section 6.2.2). */
function compress(h: Int32Array, w: Int32Array, block: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++) {
    const o = at + t * 4;
    w[t] = (((block[o] as number) << 24) | ((block[o + 1] as number) << 16) | ((block[o + 2] as number) << 8) | (block[o + 3] as number));
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = h[0] as number, b = h[1] as number, c = h[2] as number, d = h[3] as number;
  let e = h[4] as number, f = h[5] as number, g = h[6] as number, k = h[7] as number;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + (K[t] as number) + (w[t] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + b) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
  h[5] = ((h[5] as number) + f) | 0;
  h[6] = ((h[6] as number) + g) | 0;
  h[7] = ((h[7] as number) + k) | 0;
}

/** Longest UID the digester takes: RFC 1939 section 7's 70 octets. */
const MAX_UID_OCTETS = 70;

/** Hashes UIDs of one mailbox; one instance per listing pass (it keeps scratch buffers). */
export class UidDigester {
  /** State after the prefix's whole blocks. */
  private readonly mid = new Int32Array(8);
  private readonly h = new Int32Array(8);
  private readonly w = new Int32Array(64);
  /** The prefix's tail (its octets past the last whole block), then the UID, then padding. */
  private readonly buffer: Uint8Array;
  private readonly tail: number;
  private readonly midOctets: number;

  constructor(mailboxId: string) {
    const prefix = Buffer.from(`${mailboxId}\0`, 'utf8');
    this.midOctets = prefix.length - (prefix.length % 64);
    this.mid.set(IV);
    for (let at = 0; at < this.midOctets; at += 64) compress(this.mid, this.w, prefix, at);
    this.tail = prefix.length - this.midOctets;
    // Tail + UID + 0x80 + length: at most three blocks.
    this.buffer = new Uint8Array(192);
    this.buffer.set(prefix.subarray(this.midOctets), 0);
  }

  /** Writes the digest of each of `count` UIDs into `out` (HASH_BYTES each, in entry order). */
  digestAll(count: number, writeUid: UidWriter, out: Uint8Array): void {
    for (let i = 0; i < count; i++) this.digestOne(writeUid, i, out, i * HASH_BYTES);
  }

  /** Digest of entry `i`, written at `out[offset..]`. */
  digestOne(writeUid: UidWriter, i: number, out: Uint8Array, offset: number): void {
    const length = writeUid(i, this.buffer, this.tail);
    if (length > MAX_UID_OCTETS) throw new RangeError(`UID of entry ${i} is ${length} octets: RFC 1939 allows 70`);
    this.digestWritten(length, out, offset);
  }

  /** Digest of the UID octets `uid[0..length)`, written at `out[offset..]`. */
  digestOctets(uid: Uint8Array, length: number, out: Uint8Array, offset: number): void {
    if (length > MAX_UID_OCTETS) throw new RangeError(`UID of ${length} octets: RFC 1939 allows 70`);
    const buffer = this.buffer;
    const tail = this.tail;
    for (let k = 0; k < length; k++) buffer[tail + k] = uid[k] as number;
    this.digestWritten(length, out, offset);
  }

  /** Pads and compresses the `length` UID octets already written after the prefix's tail. */
  private digestWritten(length: number, out: Uint8Array, offset: number): void {
    const buffer = this.buffer;
    let end = this.tail + length;
    const bits = (this.midOctets + end) * 8;
    buffer[end++] = 0x80;
    const blocks = end + 8 <= 64 ? 1 : end + 8 <= 128 ? 2 : 3;
    const total = blocks * 64;
    buffer.fill(0, end, total - 4);
    // Messages here are far below 2^32 bits: the high word of the length stays zero.
    buffer[total - 4] = bits >>> 24;
    buffer[total - 3] = (bits >>> 16) & 0xff;
    buffer[total - 2] = (bits >>> 8) & 0xff;
    buffer[total - 1] = bits & 0xff;
    const h = this.h;
    h.set(this.mid);
    for (let b = 0; b < blocks; b++) compress(h, this.w, buffer, b * 64);
    for (let j = 0; j < HASH_BYTES / 4; j++) {
      const v = h[j] as number;
      const o = offset + j * 4;
      out[o] = v >>> 24;
      out[o + 1] = (v >>> 16) & 0xff;
      out[o + 2] = (v >>> 8) & 0xff;
      out[o + 3] = v & 0xff;
    }
    // The tail's octets were overwritten only past `this.tail`: the next UID starts clean.
  }
}
