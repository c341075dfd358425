/**
 * The three kinds of reply a POP3 command gets, as ReplyDecoders for the pipeline:
 * a single status line, a listing (CAPA, LIST, UIDL: a bounded list of short lines), and a
 * message body streamed to a Pop3Body with backpressure (RETR, TOP).
 */
import { Pop3Body } from './body.js';
import { Pop3Error } from './errors.js';
import { LineSplitter, MultilineDecoder } from './framing.js';
import type { ReplyDecoder } from './pipeline.js';
import { parseStatusLine, type StatusReply } from './response.js';

/** Pauses and resumes the byte source on behalf of a body stream (socket backpressure). */
export interface FlowControl {
  pause(owner: object): void;
  resume(owner: object): void;
}

/**
 * A lazily created promise: no promise (and no unhandled rejection) exists until someone asks
 * for it, which saves several allocations per message on the bulk-fetch path.
 */
class Outcome<T> {
  private state: 0 | 1 | 2 = 0;
  private value: T | undefined;
  private error: Error | undefined;
  private pending: { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } | undefined;

  get promise(): Promise<T> {
    if (this.state === 1) return Promise.resolve(this.value as T);
    if (this.state === 2) return Promise.reject(this.error);
    if (this.pending === undefined) {
      let resolve!: (v: T) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.pending = { promise, resolve, reject };
    }
    return this.pending.promise;
  }

  resolve(value: T): void {
    if (this.state !== 0) return;
    this.state = 1;
    this.value = value;
    this.pending?.resolve(value);
  }

  reject(error: Error): void {
    if (this.state !== 0) return;
    this.state = 2;
    this.error = error;
    this.pending?.reject(error);
  }
}

/** A single status line: "+OK", "-ERR", or (for AUTH) a "+ " continuation. */
export class StatusDecoder implements ReplyDecoder {
  done = false;
  private readonly settle = new Outcome<StatusReply>();
  private readonly splitter: LineSplitter;

  constructor(
    readonly command: string,
    maxLineLength: number,
    private readonly options: { allowContinuation?: boolean; seal?: boolean } = {},
  ) {
    this.splitter = new LineSplitter(maxLineLength);
  }

  /** The reply, once it arrived (rejects with the session's error if it died first). */
  get result(): Promise<StatusReply> {
    return this.settle.promise;
  }

  get seal(): boolean {
    return this.options.seal === true;
  }

  feed(chunk: Buffer, start: number): number {
    const line = this.splitter.next(chunk, start);
    if (line === null) return chunk.length;
    const reply = parseStatusLine(line, { allowContinuation: this.options.allowContinuation === true });
    this.done = true;
    this.settle.resolve(reply);
    return this.splitter.end;
  }

  fail(error: Error): void {
    this.settle.reject(error);
  }
}

/** A status line and, after +OK, a bounded list of lines (CAPA, LIST, UIDL). */
export interface ListingReply {
  status: StatusReply;
  /** Unstuffed lines, latin1-decoded, CRLF removed; empty after -ERR. */
  lines: string[];
}

/** Decodes a listing reply; more than maxLines lines is POP3_LIMIT_EXCEEDED. */
export class ListingDecoder implements ReplyDecoder {
  done = false;
  private readonly settle = new Outcome<ListingReply>();
  private readonly splitter: LineSplitter;
  private status: StatusReply | undefined;
  private readonly lines: string[] = [];

  constructor(readonly command: string, maxLineLength: number, private readonly maxLines: number) {
    this.splitter = new LineSplitter(maxLineLength);
  }

  /** The whole listing, once it arrived. */
  get result(): Promise<ListingReply> {
    return this.settle.promise;
  }

  feed(chunk: Buffer, start: number): number {
    let pos = start;
    for (;;) {
      const line = this.splitter.next(chunk, pos);
      if (line === null) return chunk.length;
      pos = this.splitter.end;
      if (this.status === undefined) {
        this.status = parseStatusLine(line);
        if (this.status.kind === 'err') return this.finish(pos);
        continue;
      }
      // RFC 1939 section 3: "." alone ends the listing; a leading "." is stuffing.
      if (line.length === 1 && line[0] === 0x2e) return this.finish(pos);
      if (this.lines.length >= this.maxLines) {
        throw new Pop3Error('POP3_LIMIT_EXCEEDED', `reply to ${this.command.split(' ')[0] ?? ''} has more than ${this.maxLines} lines`, {
          command: this.command,
        });
      }
      const start0 = line.length > 0 && line[0] === 0x2e ? 1 : 0;
      this.lines.push(line.toString('latin1', start0));
    }
  }

  fail(error: Error): void {
    this.settle.reject(error);
  }

  private finish(pos: number): number {
    this.done = true;
    this.settle.resolve({ status: this.status as StatusReply, lines: this.lines });
    return pos;
  }
}

/** The head of a body reply: its status and, after +OK, the body stream. */
export interface BodyReply {
  status: StatusReply;
  /** Exactly the message octets; errors with the session's error if the link dies mid-body. */
  body?: Pop3Body;
}

/** Limits for a body reply. */
export interface BodyLimits {
  maxLineLength: number;
  maxBodyLineLength: number;
  maxMessageSize: number;
  highWaterMark: number;
}

/**
 * A body reply: resolves `result` at the status line, then streams the body. A body nobody
 * reads fills to the high-water mark and pauses the socket; a destroyed body is discarded
 * (still parsed, so the session stays in sync).
 */
export class BodyDecoder implements ReplyDecoder {
  done = false;
  private readonly settle = new Outcome<BodyReply>();
  private readonly complete = new Outcome<void>();
  private readonly splitter: LineSplitter;
  private readonly decoder: MultilineDecoder;
  private status: StatusReply | undefined;
  private stream: Pop3Body | undefined;
  private discarding = false;
  private readonly emit = (part: Buffer): void => {
    if (this.discarding || this.stream === undefined) return;
    if (!this.stream.push(part)) this.flow.pause(this);
  };
  private readonly hooks = {
    onDrain: (): void => this.flow.resume(this),
    onDestroy: (): void => {
      this.discarding = true;
      this.flow.resume(this);
    },
  };

  constructor(readonly command: string, private readonly limits: BodyLimits, private readonly flow: FlowControl) {
    this.splitter = new LineSplitter(limits.maxLineLength);
    this.decoder = new MultilineDecoder({ maxLineLength: limits.maxBodyLineLength, maxSize: limits.maxMessageSize });
  }

  /** The status line and, after +OK, the body. */
  get result(): Promise<BodyReply> {
    return this.settle.promise;
  }

  /** Settles when the whole reply has been read off the wire (or the session died). */
  get completed(): Promise<void> {
    return this.complete.promise;
  }

  /** Octets of body decoded so far. */
  get size(): number {
    return this.decoder.size;
  }

  /** Stops delivering the body (consumer gave up); the rest is read and dropped. */
  discard(): void {
    this.discarding = true;
    this.flow.resume(this);
    this.stream?.destroy();
  }

  feed(chunk: Buffer, start: number): number {
    let pos = start;
    if (this.status === undefined) {
      const line = this.splitter.next(chunk, pos);
      if (line === null) return chunk.length;
      pos = this.splitter.end;
      this.status = parseStatusLine(line);
      if (this.status.kind === 'err') {
        this.done = true;
        this.settle.resolve({ status: this.status });
        this.complete.resolve();
        return pos;
      }
      this.stream = new Pop3Body(this.limits.highWaterMark, this.hooks);
      this.settle.resolve({ status: this.status, body: this.stream });
    }
    const end = this.decoder.feed(chunk, pos, this.emit);
    if (this.decoder.done) {
      this.done = true;
      this.stream?.end();
      this.complete.resolve();
    }
    return end;
  }

  fail(error: Error): void {
    this.settle.reject(error);
    this.complete.reject(error);
    // A truncated message must never look complete: the body errors, it does not end.
    if (!this.done) this.stream?.fail(error);
  }

}
