/**
 * The three kinds of reply a POP3 command gets, as ReplyDecoders for the pipeline:
 * a single status line, a listing (CAPA, LIST, UIDL: a bounded list of short lines), and a
 * message body streamed to a Pop3Body with backpressure (RETR, TOP).
 */
import { Pop3Body, type BodyHooks } from './body.js';
import { Pop3Error } from './errors.js';
import { LineSplitter, MultilineDecoder, type BodySink, type MultilineLimits } from './framing.js';
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

  /** The value once resolved, undefined while pending; throws the error once rejected. */
  peek(): T | undefined {
    if (this.state === 2) throw this.error;
    return this.value;
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
    const line = this.splitter.nextText(chunk, start);
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

/** Receives a listing's lines one at a time: unstuffed, latin1-decoded, CRLF removed. */
export interface ListingSink {
  line(text: string): void;
}

/** Bounds of one listing reply. */
export interface ListingLimits {
  maxLineLength: number;
  /** More lines than this is POP3_LIMIT_EXCEEDED. */
  maxLines: number;
  /** More octets than this (line ends included, status line excluded) is POP3_LIMIT_EXCEEDED. */
  maxBytes: number;
}

/** A status line and, after +OK, a bounded list of lines (CAPA, LIST, UIDL). */
export interface ListingReply<S extends ListingSink = ListingSink> {
  status: StatusReply;
  /** The sink the lines went to; it saw none after -ERR. */
  sink: S;
}

/**
 * Decodes a listing reply, handing each line to a sink as it arrives: the decoder keeps no
 * line, so what a listing costs in memory is what the sink chooses to keep. Past maxLines
 * lines or maxBytes octets it is POP3_LIMIT_EXCEEDED, before anything more is read.
 */
export class ListingDecoder<S extends ListingSink = ListingSink> implements ReplyDecoder {
  done = false;
  private readonly settle = new Outcome<ListingReply<S>>();
  private readonly splitter: LineSplitter;
  private status: StatusReply | undefined;
  private lines = 0;
  private bytes = 0;

  constructor(readonly command: string, private readonly limits: ListingLimits, private readonly sink: S) {
    this.splitter = new LineSplitter(limits.maxLineLength);
  }

  /** The status and the sink, once the whole listing arrived. */
  get result(): Promise<ListingReply<S>> {
    return this.settle.promise;
  }

  feed(chunk: Buffer, start: number): number {
    let pos = start;
    for (;;) {
      const line = this.splitter.nextText(chunk, pos);
      if (line === null) {
        if (this.status !== undefined) this.count(chunk.length - pos, 0);
        return chunk.length;
      }
      const end = this.splitter.end;
      if (this.status === undefined) {
        pos = end;
        this.status = parseStatusLine(line);
        if (this.status.kind === 'err') return this.finish(pos);
        continue;
      }
      // The octets of this line already counted while it was split across chunks are in
      // `bytes`; only what this chunk adds is counted now.
      this.count(end - pos, 1);
      pos = end;
      // RFC 1939 section 3: "." alone ends the listing; a leading "." is stuffing.
      if (line === '.') return this.finish(pos);
      this.sink.line(line.charCodeAt(0) === 0x2e ? line.slice(1) : line);
    }
  }

  fail(error: Error): void {
    this.settle.reject(error);
  }

  private count(octets: number, lines: number): void {
    this.bytes += octets;
    this.lines += lines;
    // The terminating "." line is not an entry. The verb is found only when a cap breaks: this
    // runs once per listing line (hundreds of thousands on a kept mailbox).
    if (this.lines > this.limits.maxLines + 1 || this.bytes > this.limits.maxBytes) this.overLimit();
  }

  private overLimit(): never {
    const verb = this.command.split(' ')[0] ?? '';
    if (this.lines > this.limits.maxLines + 1) {
      throw new Pop3Error('POP3_LIMIT_EXCEEDED', `reply to ${verb} has more than ${this.limits.maxLines} lines`, { command: this.command });
    }
    throw new Pop3Error('POP3_LIMIT_EXCEEDED', `reply to ${verb} is longer than ${this.limits.maxBytes} octets`, { command: this.command });
  }

  private finish(pos: number): number {
    this.done = true;
    this.settle.resolve({ status: this.status as StatusReply, sink: this.sink });
    return pos;
  }
}

/** A ListingSink that keeps every line (CAPA: a few short lines). */
export class LineCollector implements ListingSink {
  readonly lines: string[] = [];

  line(text: string): void {
    this.lines.push(text);
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
  maxMessageSize: number;
  highWaterMark: number;
  /** The body framer's limits, built once per session rather than once per message. */
  framing?: MultilineLimits;
  /**
   * Maps the error a body fails with when that one message broke a limit (the session goes
   * on), so a caller can give it its own code without wrapping every body.
   */
  messageFault?: (error: Pop3Error) => Error;
}

/**
 * A body reply: resolves `result` at the status line, then streams the body. A body nobody
 * reads fills to the high-water mark and pauses the socket; a destroyed body is discarded
 * (still parsed, so the session stays in sync).
 */
export class BodyDecoder implements ReplyDecoder, BodyHooks, BodySink {
  done = false;
  // Per-message state stays small and flat: up to twice the pipeline window of these are alive
  // at once, so every extra object here is copied by each young-generation GC. Promises, the
  // line splitter and the body framer are created only when needed.
  private settle: Outcome<BodyReply> | undefined;
  private complete: Outcome<void> | undefined;
  private splitter: LineSplitter | undefined;
  private decoder: MultilineDecoder | undefined;
  private status: StatusReply | undefined;
  private stream: Pop3Body | undefined;
  private failure: Error | undefined;
  private discarding = false;

  constructor(readonly command: string, private readonly limits: BodyLimits, private readonly flow: FlowControl) {}

  /** The status line and, after +OK, the body. */
  get result(): Promise<BodyReply> {
    const reply = this.reply();
    if (reply !== undefined) return Promise.resolve(reply);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.settle ??= new Outcome<BodyReply>();
    return this.settle.promise;
  }

  /** The reply if its status line arrived (no promise needed); throws the session's error if it died first. */
  peekResult(): BodyReply | undefined {
    const reply = this.reply();
    if (reply === undefined && this.failure !== undefined) throw this.failure;
    return reply;
  }

  /** Settles when the whole reply has been read off the wire (or the session died). */
  get completed(): Promise<void> {
    if (this.done) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.complete ??= new Outcome<void>();
    return this.complete.promise;
  }

  /** Octets of body decoded so far. */
  get size(): number {
    return this.decoder?.size ?? 0;
  }

  /** Stops delivering the body (consumer gave up); the rest is read and dropped. */
  discard(): void {
    this.discarding = true;
    this.flow.resume(this);
    this.stream?.destroy();
  }

  /** BodyHooks: the consumer wants more. */
  onDrain(): void {
    this.flow.resume(this);
  }

  /** BodyHooks: the consumer destroyed the body. */
  onDestroy(): void {
    this.discarding = true;
    this.flow.resume(this);
  }

  /** BodySink: one decoded part of the body. */
  part(part: Buffer): void {
    if (this.discarding || this.stream === undefined) return;
    if (!this.stream.push(part)) this.flow.pause(this);
  }

  feed(chunk: Buffer, start: number): number {
    let pos = start;
    let decoder = this.decoder;
    if (decoder === undefined) {
      this.splitter ??= new LineSplitter(this.limits.maxLineLength);
      const line = this.splitter.nextText(chunk, pos);
      if (line === null) return chunk.length;
      pos = this.splitter.end;
      const status = parseStatusLine(line);
      this.status = status;
      if (status.kind === 'err') {
        this.done = true;
        this.settle?.resolve({ status });
        this.complete?.resolve();
        return pos;
      }
      this.stream = new Pop3Body(this.limits.highWaterMark, this);
      // The chunks come from our own socket and nothing reads them after us: unstuffing may
      // close its gaps in place, so a body is one chunk per socket read, not one per "." line.
      decoder = new MultilineDecoder(
        this.limits.framing ?? { maxSize: this.limits.maxMessageSize },
        { compactInPlace: true },
      );
      this.decoder = decoder;
      this.settle?.resolve({ status, body: this.stream });
    }
    const end = decoder.feed(chunk, pos, this);
    if (decoder.oversized && !this.discarding) {
      // Past the cap: nothing more reaches the consumer, and the socket must not wait for it,
      // or a consumer that stopped reading would keep the rest of the message on the wire.
      this.discarding = true;
      this.flow.resume(this);
    }
    if (decoder.done) {
      this.done = true;
      // The error comes only now, with the rest of the message read off the wire and dropped:
      // the consumer that sees it may go on with the next message at once.
      if (decoder.oversized) {
        const error = this.tooLarge(decoder.size);
        this.stream?.fail(this.limits.messageFault?.(error) ?? error);
      }
      else this.stream?.end();
      this.complete?.resolve();
    }
    return end;
  }

  fail(error: Error): void {
    if (this.failure === undefined && !this.done) this.failure = error;
    this.settle?.reject(error);
    this.complete?.reject(error);
    // A truncated message must never look complete: the body errors, it does not end.
    if (!this.done) this.stream?.fail(error);
  }

  private tooLarge(size: number): Pop3Error {
    return new Pop3Error('POP3_MESSAGE_TOO_LARGE', `message of ${size} octets is larger than the ${this.limits.maxMessageSize}-octet limit; its body was dropped`, {
      command: this.command,
    });
  }

  private reply(): BodyReply | undefined {
    const status = this.status;
    if (status === undefined) return undefined;
    return this.stream === undefined ? { status } : { status, body: this.stream };
  }
}

