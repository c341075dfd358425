/**
 * Content-Transfer-Encoding decoders (RFC 2045 section 6) as pure state machines fed arbitrary
 * chunks: the same output whatever the split, and memory bounded by the chunk size.
 */

/** Decodes one part's body, chunk by chunk. */
export interface TransferDecoder {
  /** Decodes as much of `chunk` as is complete; keeps the rest for the next call. */
  write(chunk: Uint8Array): Uint8Array;
  /** Flushes what is left at the end of the part. */
  end(): Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** The decoder for a Content-Transfer-Encoding value; unknown encodings pass through as they are. */
export function transferDecoder(encoding: string | false | undefined): TransferDecoder {
  switch ((encoding || '').trim().toLowerCase()) {
    case 'base64':
      return new Base64Decoder();
    case 'quoted-printable':
      return new QuotedPrintableDecoder();
    default:
      return { write: (chunk) => chunk, end: () => EMPTY };
  }
}

/** True when the encoding is one this module decodes or one that needs no decoding. */
export function isKnownTransferEncoding(encoding: string | false | undefined): boolean {
  return ['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable'].includes((encoding || '').trim().toLowerCase());
}

// 1 marks a base64 character (both alphabets: Node's decoder accepts '-' and '_' too).
const B64 = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_') B64[c.charCodeAt(0)] = 1;

/**
 * RFC 2045 section 6.8: line breaks and characters outside the alphabet are ignored; '=' ends
 * the data. Node's native decoder (which skips them too) does the work on whole quanta; the
 * last 0-3 alphabet characters wait for the next chunk. No per-line strings: memory stays flat.
 */
class Base64Decoder implements TransferDecoder {
  /** 0-3 alphabet characters of an unfinished quantum (never anything else: its length counts). */
  private carry = '';
  private done = false;

  write(chunk: Uint8Array): Uint8Array {
    if (this.done) return EMPTY;
    let data = chunk;
    const pad = chunk.indexOf(61);
    if (pad >= 0) {
      // Padding ends the encoded data; a later part of the same body would be a new, broken encoding.
      this.done = true;
      data = chunk.subarray(0, pad);
    }
    let valid = this.carry.length;
    for (let i = 0; i < data.length; i++) valid += B64[data[i]!]!;
    const latin1 = (from: number, to: number): string => Buffer.from(data.buffer, data.byteOffset + from, to - from).toString('latin1');
    if (valid < 4 && !this.done) {
      // Not one whole quantum yet: keep the alphabet characters only (bounded to 3).
      this.carry = (this.carry + latin1(0, data.length)).replace(/[^A-Za-z0-9+/_-]+/g, '');
      return EMPTY;
    }
    let keep = this.done ? 0 : valid % 4;
    let cut = data.length;
    while (keep > 0 && cut > 0) {
      cut--;
      keep -= B64[data[cut]!]!;
    }
    // valid >= 4 means the last (valid % 4) characters all lie in `data`, after `cut`.
    const text = this.carry + latin1(0, cut);
    this.carry = this.done ? '' : latin1(cut, data.length).replace(/[^A-Za-z0-9+/_-]+/g, '');
    return text.length ? Buffer.from(text, 'base64') : EMPTY;
  }

  end(): Uint8Array {
    const rest = this.carry;
    this.carry = '';
    // 2 or 3 characters left are an unpadded final quantum (Node decodes them); 1 is never data.
    return rest.length ? Buffer.from(rest, 'base64') : EMPTY;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * RFC 2045 section 6.7: `=XX` is an octet, `=` at the end of a line is a soft break, trailing
 * whitespace on a line is dropped. A malformed `=` is kept as written (rule 1's "robust" advice).
 */
class QuotedPrintableDecoder implements TransferDecoder {
  // Bytes held back: a '=' sequence or trailing whitespace that the next chunk completes.
  private pending: number[] = [];

  write(chunk: Uint8Array): Uint8Array {
    const input = this.pending.length ? concat(Uint8Array.from(this.pending), chunk) : chunk;
    this.pending = [];
    const out = new Uint8Array(input.length);
    let o = 0;
    let i = 0;
    while (i < input.length) {
      const c = input[i]!;
      if (c === 61) {
        if (i + 2 >= input.length) {
          // Not enough to decide: keep '=' and what follows for the next chunk.
          this.pending = Array.from(input.subarray(i));
          break;
        }
        const a = input[i + 1]!;
        const b = input[i + 2]!;
        if (a === 13 && b === 10) {
          i += 3;
          continue;
        }
        if (a === 10) {
          i += 2;
          continue;
        }
        const h = hexValue(a);
        const l = hexValue(b);
        if (h >= 0 && l >= 0) {
          out[o++] = (h << 4) | l;
          i += 3;
          continue;
        }
        // '=' followed by whitespace up to the line end is a soft break with padding.
        let j = i + 1;
        while (j < input.length && (input[j] === 32 || input[j] === 9)) j++;
        if (j === input.length) {
          this.pending = Array.from(input.subarray(i));
          break;
        }
        if (input[j] === 13 || input[j] === 10) {
          i = input[j] === 13 && input[j + 1] === 10 ? j + 2 : j + 1;
          if (input[j] === 13 && j + 1 === input.length) {
            this.pending = [61, 13];
            break;
          }
          continue;
        }
        out[o++] = c;
        i++;
        continue;
      }
      if (c === 32 || c === 9) {
        // Trailing whitespace before a line break is dropped; elsewhere it is data.
        let j = i;
        while (j < input.length && (input[j] === 32 || input[j] === 9)) j++;
        if (j === input.length) {
          this.pending = Array.from(input.subarray(i));
          break;
        }
        if (input[j] === 13 || input[j] === 10) {
          i = j;
          continue;
        }
        while (i < j) out[o++] = input[i++]!;
        continue;
      }
      out[o++] = c;
      i++;
    }
    return out.subarray(0, o);
  }

  end(): Uint8Array {
    // At the end of the part: trailing whitespace is dropped, a lone '=' is a soft break.
    const rest = this.pending;
    this.pending = [];
    if (rest[0] === 61) {
      const h = rest.length >= 3 ? hexValue(rest[1]!) : -1;
      const l = rest.length >= 3 ? hexValue(rest[2]!) : -1;
      if (h >= 0 && l >= 0) return Uint8Array.of((h << 4) | l);
      return rest.slice(1).every((b) => b === 32 || b === 9 || b === 13 || b === 10) ? EMPTY : Uint8Array.from(rest);
    }
    return EMPTY;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
