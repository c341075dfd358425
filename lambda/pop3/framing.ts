/**
 * Framing as pure state machines, fed arbitrary chunks (no sockets here):
 *
 * - LineSplitter: one CRLF-terminated line at a time (status lines, CAPA, LIST, UIDL).
 * - MultilineDecoder: a multi-line body (RFC 1939 section 3): finds the "CRLF.CRLF"
 *   terminator and removes byte-stuffing across ANY chunk boundary, keeps line endings exactly
 *   as sent, never decodes the body as text, and enforces the line and size limits.
 *
 * Bare LF: RFC 1939 requires CRLF, but some servers store and send mail with bare LF. We treat
 * any LF as a line end (so "LF . LF" and "LF . CRLF" both terminate, and "LF ." starts a
 * stuffed line) and we do NOT rewrite line endings: the bytes delivered are the bytes the
 * server sent, minus stuffing and terminator. A lone CR is content, never a line end.
 *
 * Fast path: the decoder searches for the two-byte sequence LF "." with Buffer.indexOf and
 * hands out zero-copy subarrays of the input chunk; per-line work happens only when a line may
 * exceed the limit (smtp-server `lib/smtp-stream.js` keeps the same state across chunks).
 */
import { Pop3Error } from './errors.js';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.', 'latin1');
const CR_BUFFER = Buffer.from('\r', 'latin1');
const TERMINATOR = Buffer.from('.\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

/** Splits a byte stream into lines; bounded by maxLineLength (CR/LF excluded). */
export class LineSplitter {
  /** Index just past the LF of the last line returned by next(). */
  end = 0;
  private partial: Buffer[] = [];
  private partialLength = 0;

  constructor(private readonly maxLineLength: number) {}

  /**
   * Returns the next complete line from chunk[start..] without its CRLF (or bare LF), setting
   * `end`; or null when the chunk ran out first (the bytes are kept for the next call).
   */
  next(chunk: Buffer, start: number): Buffer | null {
    const lf = chunk.indexOf(LF, start);
    if (lf < 0) {
      this.partialLength += chunk.length - start;
      this.checkLength(this.partialLength - 1);
      if (chunk.length > start) this.partial.push(chunk.subarray(start));
      this.end = chunk.length;
      return null;
    }
    let line: Buffer;
    if (this.partial.length === 0) {
      line = chunk.subarray(start, lf);
    } else {
      this.partial.push(chunk.subarray(start, lf));
      line = Buffer.concat(this.partial, this.partialLength + lf - start);
      this.partial = [];
      this.partialLength = 0;
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    this.checkLength(line.length);
    this.end = lf + 1;
    return line;
  }

  private checkLength(length: number): void {
    if (length > this.maxLineLength) {
      throw new Pop3Error('POP3_LIMIT_EXCEEDED', `server line longer than ${this.maxLineLength} octets`);
    }
  }
}

const enum State {
  /** Inside a line. */
  Mid,
  /** Just after a LF (or at the start of the body). */
  LineStart,
  /** Saw LF "." : terminator or stuffing, not known yet. */
  Dot,
  /** Saw LF "." CR : terminator if LF follows. */
  DotCr,
}

/** Limits for one multi-line body. */
export interface MultilineLimits {
  maxLineLength: number;
  maxSize: number;
}

/** Decodes one multi-line body (after its status line) into zero-copy chunks. */
export class MultilineDecoder {
  /** True once the terminating "." line has been consumed. */
  done = false;
  /** Body octets emitted so far (after unstuffing). */
  size = 0;
  private state: State = State.LineStart;
  private lineLength = 0;

  constructor(private readonly limits: MultilineLimits) {}

  /**
   * Decodes chunk[start..], passing body parts to `emit` (subarrays of `chunk`, valid as long as
   * the chunk is). Returns the index just past the terminator when done, else chunk.length.
   */
  feed(chunk: Buffer, start: number, emit: (part: Buffer) => void): number {
    let pos = start;
    const length = chunk.length;
    while (pos < length && !this.done) {
      switch (this.state) {
        case State.LineStart:
          if (chunk[pos] === DOT) {
            this.state = State.Dot;
            pos++;
            continue;
          }
          break;
        case State.Dot: {
          const b = chunk[pos];
          if (b === CR) {
            this.state = State.DotCr;
            pos++;
            continue;
          }
          if (b === LF) return this.finish(pos + 1);
          // RFC 1939 section 3: a line starting with "." that is not the terminator had the dot
          // added by the server; the dot we consumed is dropped.
          break;
        }
        case State.DotCr:
          if (chunk[pos] === LF) return this.finish(pos + 1);
          // "." CR <not LF>: stuffing dot dropped, the held CR is content.
          this.output(CR_BUFFER, emit);
          this.lineLength = 1;
          break;
        case State.Mid:
          break;
      }
      // Inside a line: jump to the next LF "." (the only place anything special can happen).
      const hit = chunk.indexOf(LF_DOT, pos);
      const end = hit < 0 ? length : hit + 1;
      this.checkLines(chunk, pos, end);
      this.output(chunk.subarray(pos, end), emit);
      if (hit < 0) {
        this.state = chunk[length - 1] === LF ? State.LineStart : State.Mid;
        pos = length;
      } else {
        this.state = State.Dot;
        pos = hit + 2;
      }
    }
    return length;
  }

  private finish(end: number): number {
    this.done = true;
    return end;
  }

  private output(part: Buffer, emit: (part: Buffer) => void): void {
    if (part.length === 0) return;
    this.size += part.length;
    if (this.size > this.limits.maxSize) {
      throw new Pop3Error('POP3_LIMIT_EXCEEDED', `message larger than ${this.limits.maxSize} octets`);
    }
    emit(part);
  }

  /** Tracks the current line's length over chunk[from, to); scans line by line only when needed. */
  private checkLines(chunk: Buffer, from: number, to: number): void {
    const max = this.limits.maxLineLength;
    if (this.lineLength + (to - from) <= max) {
      const lastLf = to > from ? chunk.lastIndexOf(LF, to - 1) : -1;
      this.lineLength = lastLf >= from ? to - lastLf - 1 : this.lineLength + (to - from);
      return;
    }
    let p = from;
    for (;;) {
      const lf = chunk.indexOf(LF, p);
      if (lf < 0 || lf >= to) {
        this.lineLength += to - p;
        break;
      }
      this.lineLength += lf - p;
      this.assertLine();
      this.lineLength = 0;
      p = lf + 1;
    }
    this.assertLine();
  }

  private assertLine(): void {
    // +1: the CR before LF is not counted against the limit.
    if (this.lineLength > this.limits.maxLineLength + 1) {
      throw new Pop3Error('POP3_LIMIT_EXCEEDED', `message line longer than ${this.limits.maxLineLength} octets`);
    }
  }
}

/** Byte-stuffs a body (RFC 1939 section 3): every line starting with "." gets another "." first. */
export function dotStuff(body: Uint8Array): Buffer {
  const input = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const parts: Buffer[] = [];
  let pos = 0;
  if (input.length > 0 && input[0] === DOT) parts.push(Buffer.from('.', 'latin1'));
  for (;;) {
    const hit = input.indexOf(LF_DOT, pos);
    if (hit < 0) break;
    parts.push(input.subarray(pos, hit + 1), Buffer.from('.', 'latin1'));
    pos = hit + 1;
  }
  parts.push(input.subarray(pos));
  return Buffer.concat(parts);
}

/**
 * Encodes a whole multi-line body as a server sends it: stuffed, a CRLF added when the body
 * does not end with a line end, then ".CRLF". For the fake server and tests.
 */
export function encodeMultiline(body: Uint8Array): Buffer {
  const stuffed = dotStuff(body);
  const needsCrlf = stuffed.length > 0 && stuffed[stuffed.length - 1] !== LF;
  return Buffer.concat(needsCrlf ? [stuffed, CRLF, TERMINATOR] : [stuffed, TERMINATOR]);
}
