/**
 * A message body as a minimal async-iterable byte stream with backpressure.
 *
 * Why not a Readable: the pipelined fetch hands out one body per message, and on 10,000 small
 * messages a Readable plus its async iterator per message cost more CPU than the framing itself.
 * This queue does only what the engine needs: push with a high-water mark (the socket is paused
 * above it and resumed when the consumer drains it), end, fail, and consumer-side destroy.
 * `toReadable()` adapts it where a Node stream is wanted (retr/top).
 */
import { Readable } from 'node:stream';

/** What the body tells its producer. */
export interface BodyHooks {
  /** The consumer drained the queue below the high-water mark, or is waiting for data. */
  onDrain(): void;
  /** The consumer gave up before the end: drop the rest. */
  onDestroy(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const NO_HOOKS: BodyHooks = Object.freeze({ onDrain: () => undefined, onDestroy: () => undefined });

/** The octets of one message, delivered once, in order; errors (never ends) when truncated. */
export class Pop3Body implements AsyncIterable<Buffer>, AsyncIterator<Buffer> {
  private queue: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private gone = false;
  private delivered = false;
  private iterated = false;
  /** The consumer's pending next(), as two fields rather than an object per wait. */
  private waiter: ((r: IteratorResult<Buffer>) => void) | undefined;
  private waiterReject: ((e: Error) => void) | undefined;

  constructor(private readonly highWaterMark: number, private readonly hooks: BodyHooks) {}

  /** A body with no octets, already ended (the body of a refused message). */
  static empty(): Pop3Body {
    const body = new Pop3Body(1, NO_HOOKS);
    body.ended = true;
    return body;
  }

  /** True once the consumer has read the whole body (the iterator said done). */
  get readableEnded(): boolean {
    return this.delivered;
  }

  /** True once destroyed by the consumer or failed. */
  get destroyed(): boolean {
    return this.gone || this.failure !== undefined;
  }

  /** Octets queued and not yet read. */
  get readableLength(): number {
    return this.buffered;
  }

  /** Producer: queues a chunk; false when the queue is at or above the high-water mark. */
  push(chunk: Buffer): boolean {
    if (this.gone || this.failure !== undefined) return true;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = this.waiterReject = undefined;
      waiter({ done: false, value: chunk });
      return true;
    }
    this.queue.push(chunk);
    this.buffered += chunk.length;
    return this.buffered < this.highWaterMark;
  }

  /** Producer: the terminator was seen. */
  end(): void {
    this.ended = true;
    const waiter = this.waiter;
    if (waiter !== undefined && this.head >= this.queue.length) {
      this.waiter = this.waiterReject = undefined;
      this.delivered = true;
      waiter(DONE);
    }
  }

  /** Producer: the session died before the terminator; the consumer sees `error`, never the end. */
  fail(error: Error): void {
    if (this.ended || this.gone || this.failure !== undefined) return;
    this.failure = error;
    this.queue = [];
    this.head = 0;
    this.buffered = 0;
    const reject = this.waiterReject;
    if (reject !== undefined) {
      this.waiter = this.waiterReject = undefined;
      reject(error);
    }
  }

  /** Consumer: stop reading; the rest of the message is read off the wire and dropped. */
  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.queue = [];
    this.head = 0;
    this.buffered = 0;
    if (!this.ended) this.hooks.onDestroy();
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = this.waiterReject = undefined;
      waiter(DONE);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.iterated) throw new Error('a message body can be read only once');
    this.iterated = true;
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.head < this.queue.length) {
      const chunk = this.queue[this.head] as Buffer;
      this.queue[this.head++] = undefined as unknown as Buffer;
      const wasFull = this.buffered >= this.highWaterMark;
      this.buffered -= chunk.length;
      if (this.head === this.queue.length) {
        // Reuse the array: a body is usually queued and drained many times.
        this.queue.length = 0;
        this.head = 0;
      }
      if (wasFull && this.buffered < this.highWaterMark) this.hooks.onDrain();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.ended || this.gone) {
      if (this.ended && !this.gone) this.delivered = true;
      return Promise.resolve(DONE);
    }
    this.hooks.onDrain();
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.waiterReject = reject;
    });
  }

  /** Consumer left the loop (break/throw): same as destroy() unless already at the end. */
  return(): Promise<IteratorResult<Buffer>> {
    if (!this.delivered) this.destroy();
    return Promise.resolve(DONE);
  }

  /** A Node Readable over this body (for callers that want events or pipe()). */
  toReadable(): Readable {
    const readable = Readable.from(this, { objectMode: false, highWaterMark: this.highWaterMark });
    // Errors reach consumers through their own listeners; this keeps an unread body's error
    // from becoming an uncaught exception.
    readable.on('error', () => undefined);
    return readable;
  }
}
