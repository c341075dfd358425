/**
 * The pipelined bulk fetch (RETR / TOP n 0 for many messages, up to a window ahead) as its own
 * iterator, apart from the session's single commands in session.ts.
 */
import { Pop3Body } from './body.js';
import type { Connection } from './connection.js';
import type { BodyDecoder, BodyReply } from './decoders.js';
import { Pop3Error } from './errors.js';
import { escapeServerText } from './escape.js';
import type { StatusReply } from './response.js';
import type { Pop3FetchedMessage, Pop3FetchRequest, Pop3MessageRefusal } from './session-types.js';

/** Why the server would not serve one message, its own text escaped and kept apart. */
function refusal(status: StatusReply, line: string): Pop3MessageRefusal {
  const verb = line.split(' ')[0] ?? line;
  const code = status.responseCode === undefined ? '' : `[${status.responseCode}] `;
  return { reason: `server refused ${verb} for this message`, serverText: escapeServerText(code + status.text) };
}

/** A message number as a command argument (RFC 1939 section 5: 1-based); anything else is our bug or the server's. */
export function checkMsg(msg: number): number {
  if (!Number.isSafeInteger(msg) || msg < 1) {
    throw new Pop3Error('POP3_PROTOCOL', `invalid message number ${escapeServerText(String(msg), 20)}`);
  }
  return msg;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface Ahead {
  request: Pop3FetchRequest;
  line: string;
  decoder: BodyDecoder;
}

/**
 * The pipelined bulk fetch as a hand-written async iterator rather than an async generator:
 * when the next message's status line has already arrived (the usual case, many replies come
 * in one TLS record) next() settles at once, without the generator's and the reply's promises.
 * Semantics are the generator's: lazy start, the previous body discarded when the next message
 * is asked for, calls serialised, and on break, error or return() unsent commands withdrawn
 * and sent ones drained so the session stays usable for DELE/QUIT.
 */
export class FetchIterator implements AsyncIterable<Pop3FetchedMessage>, AsyncIterator<Pop3FetchedMessage> {
  private source: Iterator<Pop3FetchRequest> | undefined;
  private readonly ahead: Ahead[] = [];
  /** The body handed out last (ahead[0]), until the consumer asks for the next message. */
  private current: Pop3Body | undefined;
  /** ahead[0] was handed out and discarded; it leaves once its reply is off the wire. */
  private draining = false;
  private finished = false;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly requests: Iterable<Pop3FetchRequest>,
    private readonly aheadLimit: number,
    private readonly connection: Connection,
    private readonly decoderFor: (line: string) => BodyDecoder,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Pop3FetchedMessage> {
    return this;
  }

  next(): Promise<IteratorResult<Pop3FetchedMessage>> {
    const running = this.running;
    if (running === undefined) return this.step();
    return this.track(running.then(() => this.step(), () => this.step()));
  }

  return(): Promise<IteratorResult<Pop3FetchedMessage>> {
    const running = this.running;
    if (running === undefined) {
      this.stop();
      return Promise.resolve(DONE);
    }
    return this.track(running.then(() => this.return(), () => this.return()));
  }

  private step(): Promise<IteratorResult<Pop3FetchedMessage>> {
    if (this.finished) return Promise.resolve(DONE);
    try {
      const result = this.advance();
      if (result !== undefined) return Promise.resolve(result);
    } catch (error) {
      this.stop();
      return Promise.reject(error as Error);
    }
    return this.track(this.advanceAsync());
  }

  /** Moves on synchronously; undefined when it has to wait for the wire. */
  private advance(): IteratorResult<Pop3FetchedMessage> | undefined {
    this.leaveCurrent();
    if (this.draining) {
      if (!(this.ahead[0] as Ahead).decoder.done) return undefined;
      this.ahead.shift();
      this.draining = false;
    }
    this.topUp();
    const item = this.ahead[0];
    if (item === undefined) {
      this.finished = true;
      return DONE;
    }
    const reply = item.decoder.peekResult();
    return reply === undefined ? undefined : this.hand(item, reply);
  }

  private async advanceAsync(): Promise<IteratorResult<Pop3FetchedMessage>> {
    try {
      if (this.draining) {
        await (this.ahead[0] as Ahead).decoder.completed;
        if (this.finished) return DONE;
        this.ahead.shift();
        this.draining = false;
        this.topUp();
      }
      const item = this.ahead[0];
      if (item === undefined) {
        this.finished = true;
        return DONE;
      }
      const reply = await item.decoder.result;
      if (this.finished) return DONE;
      return this.hand(item, reply);
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  /** The consumer asked for the next message: whatever it left of this body is dropped. */
  private leaveCurrent(): void {
    const body = this.current;
    if (body === undefined) return;
    this.current = undefined;
    if (!body.readableEnded) (this.ahead[0] as Ahead).decoder.discard();
    this.draining = true;
  }

  private hand(item: Ahead, reply: BodyReply): IteratorResult<Pop3FetchedMessage> {
    const { msg, kind } = item.request;
    if (reply.status.kind !== 'ok' || reply.body === undefined) {
      // -ERR to one RETR/TOP is about that message (RFC 1939 section 5: "no such message", or
      // one the server cannot read): the reply is complete, the session in sync, go on.
      this.draining = true;
      return { done: false, value: { msg, kind, body: Pop3Body.empty(), refused: refusal(reply.status, item.line) } };
    }
    this.current = reply.body;
    return { done: false, value: { msg, kind, body: reply.body } };
  }

  private topUp(): void {
    this.source ??= this.requests[Symbol.iterator]();
    // Asked again at every step, even after done: a caller bounding what is in flight says
    // "not now" with done and has more later; a finished iterator keeps saying done.
    while (this.ahead.length < this.aheadLimit) {
      const next = this.source.next();
      if (next.done === true) return;
      const request = next.value;
      const line = request.kind === 'full' ? `RETR ${checkMsg(request.msg)}` : `TOP ${checkMsg(request.msg)} 0`;
      this.ahead.push({ request, line, decoder: this.connection.send(line, this.decoderFor(line)) });
    }
  }

  /** Stopped (break, error, end): unsent commands are withdrawn, sent ones drained. */
  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    this.current = undefined;
    for (const item of this.ahead.splice(0)) {
      if (!this.connection.pipeline.cancel(item.decoder)) item.decoder.discard();
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running = promise;
    const clear = (): void => {
      if (this.running === promise) this.running = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }
}
