/**
 * Framing as pure state machines, fed arbitrary chunks (no sockets here):
 *
 * - LineSplitter: one CRLF-terminated line at a time (status lines, CAPA, LIST, UIDL).
 * - MultilineDecoder: a multi-line body (RFC 1939 section 3): finds the "CRLF.CRLF"
 *   terminator and removes byte-stuffing across ANY chunk boundary, keeps line endings exactly
 *   as sent, never decodes the body as text, and enforces the size limit. Body lines have no
 *   length limit: the decoder never holds a line, only a state of at most "LF . CR" between
 *   chunks, so a 1 MiB line costs what a 1 MiB chunk costs (a bounded buffer, not a bounded line).
 *
 * Bare LF: RFC 1939 requires CRLF, but some servers store and send mail with bare LF. We treat
 * any LF as a line end (so "LF . LF" and "LF . CRLF" both terminate, and "LF ." starts a
 * stuffed line) and we do NOT rewrite line endings: the bytes delivered are the bytes the
 * server sent, minus stuffing and terminator. A lone CR is content, never a line end.
 *
 * Fast path: the decoder searches for the two-byte sequence LF "." with Buffer.indexOf and
 * hands out zero-copy subarrays of the input chunk; there is no per-line work at all
 * (smtp-server `lib/smtp-stream.js` keeps the same state across chunks).
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
  /** Bytes of a line split across chunks; allocated only when a line is split. */
  private partial: Buffer[] | undefined;
  private partialLength = 0;

  constructor(private readonly maxLineLength: number) {}

  /**
   * Returns the next complete line from chunk[start..] without its CRLF (or bare LF), setting
   * `end`; or null when the chunk ran out first (the bytes are kept for the next call).
   */
  next(chunk: Buffer, start: number): Buffer | null {
    const lf = this.findLineEnd(chunk, start);
    if (lf < 0) return null;
    let line: Buffer;
    if (this.partial === undefined) {
      line = chunk.subarray(start, lf);
    } else {
      this.partial.push(chunk.subarray(start, lf));
      line = Buffer.concat(this.partial, this.partialLength + lf - start);
      this.partial = undefined;
      this.partialLength = 0;
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    this.checkLength(line.length);
    this.end = lf + 1;
    return line;
  }

  /**
   * As next(), but returns the line latin1-decoded. The common case (the whole line in one
   * chunk) decodes straight from the chunk: no Buffer view per line on the bulk paths.
   */
  nextText(chunk: Buffer, start: number): string | null {
    if (this.partial !== undefined) {
      const line = this.next(chunk, start);
      return line === null ? null : line.toString('latin1');
    }
    const lf = this.findLineEnd(chunk, start);
    if (lf < 0) return null;
    const stop = lf > start && chunk[lf - 1] === CR ? lf - 1 : lf;
    this.checkLength(stop - start);
    this.end = lf + 1;
    return chunk.toString('latin1', start, stop);
  }

  /** The LF ending the line at chunk[start..], or -1 after keeping the rest for the next call. */
  private findLineEnd(chunk: Buffer, start: number): number {
    const lf = chunk.indexOf(LF, start);
    if (lf >= 0) return lf;
    this.partialLength += chunk.length - start;
    this.checkLength(this.partialLength - 1);
    if (chunk.length > start) (this.partial ??= []).push(chunk.subarray(start));
    this.end = chunk.length;
    return -1;
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
  /** Body octets (after unstuffing) past which the rest is dropped and `oversized` set. */
  maxSize: number;
}

/** Receives body parts; an object form of `emit` so a consumer needs no closure per message. */
export interface BodySink {
  part(part: Buffer): void;
}

/** Decodes one multi-line body (after its status line) into zero-copy chunks. */
export class MultilineDecoder {
  /** True once the terminating "." line has been consumed. */
  done = false;
  /** Body octets seen so far (after unstuffing), including any dropped past the limit. */
  size = 0;
  /**
   * True once the body passed maxSize: from then on nothing is emitted, but the framing goes on
   * to the terminator, so the stream stays in sync and the caller decides what to do (the
   * session fails that one message and carries on). State stays constant: memory is bounded.
   */
  oversized = false;
  private state: State = State.LineStart;
  private readonly compact: boolean;
  /** Compact mode: the part being gathered in the chunk, [runStart, runEnd); runEnd -1 when none. */
  private runStart = 0;
  private runEnd = -1;

  /**
   * `compactInPlace`: instead of one part per stuffed line, close the gaps left by dropped
   * stuffing dots inside the chunk itself (octets already consumed are moved left), so each
   * feed() emits at most two parts. Only for a caller that owns its chunks (the connection's
   * socket chunks): the chunk's bytes are rewritten, those after the returned index are not.
   */
  constructor(private readonly limits: MultilineLimits, options: { compactInPlace?: boolean } = {}) {
    this.compact = options.compactInPlace === true;
  }

  /**
   * Decodes chunk[start..], passing body parts to `emit` (subarrays of `chunk`, valid as long as
   * the chunk is). Returns the index just past the terminator when done, else chunk.length.
   */
  feed(chunk: Buffer, start: number, emit: ((part: Buffer) => void) | BodySink): number {
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
          if (b === LF) return this.finish(pos + 1, chunk, emit);
          // RFC 1939 section 3: a line starting with "." that is not the terminator had the dot
          // added by the server; the dot we consumed is dropped.
          break;
        }
        case State.DotCr:
          if (chunk[pos] === LF) return this.finish(pos + 1, chunk, emit);
          // "." CR <not LF>: stuffing dot dropped, the held CR is content. In compact mode the
          // CR goes back into the gathered part (at or before the dropped dot's place).
          if (this.runEnd >= 0) {
            if (this.admit(1)) chunk[this.runEnd++] = CR;
          } else {
            this.output(CR_BUFFER, emit);
          }
          break;
        case State.Mid:
          break;
      }
      // Inside a line: jump to the next LF "." (the only place anything special can happen).
      const hit = chunk.indexOf(LF_DOT, pos);
      const end = hit < 0 ? length : hit + 1;
      if (this.compact) this.gather(chunk, pos, end);
      else this.output(chunk.subarray(pos, end), emit);
      if (hit < 0) {
        this.state = chunk[length - 1] === LF ? State.LineStart : State.Mid;
        pos = length;
      } else {
        this.state = State.Dot;
        pos = hit + 2;
      }
    }
    this.flush(chunk, emit);
    return length;
  }

  private finish(end: number, chunk: Buffer, emit: ((part: Buffer) => void) | BodySink): number {
    this.flush(chunk, emit);
    this.done = true;
    return end;
  }

  /** Compact mode: appends chunk[from, to) to the gathered part, moving it left over any gap. */
  private gather(chunk: Buffer, from: number, to: number): void {
    if (to === from || !this.admit(to - from)) return;
    if (this.runEnd < 0) {
      this.runStart = from;
      this.runEnd = to;
      return;
    }
    if (this.runEnd !== from) chunk.copyWithin(this.runEnd, from, to);
    this.runEnd += to - from;
  }

  private flush(chunk: Buffer, emit: ((part: Buffer) => void) | BodySink): void {
    if (this.runEnd < 0) return;
    const part = chunk.subarray(this.runStart, this.runEnd);
    this.runEnd = -1;
    if (typeof emit === 'function') emit(part);
    else emit.part(part);
  }

  /** Counts `octets` more body; false (and nothing more is emitted) once past maxSize. */
  private admit(octets: number): boolean {
    this.size += octets;
    if (this.oversized) return false;
    if (this.size <= this.limits.maxSize) return true;
    this.oversized = true;
    this.runEnd = -1;
    return false;
  }

  private output(part: Buffer, emit: ((part: Buffer) => void) | BodySink): void {
    if (part.length === 0 || !this.admit(part.length)) return;
    if (typeof emit === 'function') emit(part);
    else emit.part(part);
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
