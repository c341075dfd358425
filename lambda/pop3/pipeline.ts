/**
 * The command pipeline: a FIFO of pending reply decoders with a window (undici's
 * complete | running | pending; mpop refills between 20 and 100 outstanding commands).
 *
 * RFC 2449 section 6.6: only when the server advertised PIPELINING may several commands be in
 * flight; otherwise strictly one at a time. Bytes arriving while nothing is pending belong to no
 * command: that is a desync (a confused or hostile server) and kills the session.
 */
import { Pop3Error } from './errors.js';
import { escapeServerText } from './escape.js';

/** Decodes one reply from the byte stream. */
export interface ReplyDecoder {
  /** The command line this reply answers (for errors; masked before it is stored). */
  readonly command: string;
  /** True once the whole reply has been consumed. */
  readonly done: boolean;
  /** After this reply nothing may follow until the transport changes (STLS, RFC 2595 section 4). */
  readonly seal?: boolean;
  /**
   * Consumes bytes from chunk[start..] and returns the index after them. Must consume the whole
   * chunk unless it became `done`. Throws a Pop3Error on hostile or malformed input.
   */
  feed(chunk: Buffer, start: number): number;
  /** The session died (or the command was cancelled) before the reply completed. */
  fail(error: Error): void;
}

/** Window settings. */
export interface PipelineWindow {
  /** Most commands in flight when pipelining. */
  window: number;
  /** Refill once fewer than this many are in flight. */
  lowWater: number;
}

/** FIFO of in-flight decoders plus the commands waiting for room in the window. */
export class Pipeline {
  private readonly inFlight: ReplyDecoder[] = [];
  /**
   * Commands not yet sent: two parallel queues (no object per command) with a head index
   * (shift() is O(n) on 10,000 entries).
   */
  private waitingLines: string[] = [];
  private waitingDecoders: ReplyDecoder[] = [];
  private waitingHead = 0;
  private outgoing: string[] = [];
  private flushScheduled = false;
  private pipelining = false;
  private failed: Error | undefined;

  constructor(
    private readonly write: (data: string) => void,
    private readonly settings: PipelineWindow,
    private readonly onSend?: (line: string) => void,
  ) {}

  /** Replies awaited (sent) plus commands not yet sent. */
  get pending(): number {
    return this.inFlight.length + this.waitingCount;
  }

  private get waitingCount(): number {
    return this.waitingDecoders.length - this.waitingHead;
  }

  /** Commands sent whose reply has not fully arrived. */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** The decoder whose reply is arriving now. */
  get head(): ReplyDecoder | undefined {
    return this.inFlight[0];
  }

  /** Turns pipelining on (server advertised PIPELINING) or off (STLS forgets capabilities). */
  setPipelining(enabled: boolean): void {
    this.pipelining = enabled;
  }

  /** Awaits a reply that was not asked for by a command (the greeting). */
  expect(decoder: ReplyDecoder): void {
    this.assertAlive();
    this.inFlight.push(decoder);
  }

  /** Queues a command; it is written as soon as the window allows (writes are batched). */
  submit(line: string, decoder: ReplyDecoder): void {
    this.assertAlive();
    this.waitingLines.push(line);
    this.waitingDecoders.push(decoder);
    // Pumped at the end of the tick, so commands submitted together go out in one write.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.pump();
        this.flush();
      });
    }
  }

  /** Removes a command that has not been written yet. Returns false when it already was. */
  cancel(decoder: ReplyDecoder): boolean {
    const i = this.waitingDecoders.indexOf(decoder, this.waitingHead);
    if (i < 0) return false;
    this.waitingLines.splice(i, 1);
    this.waitingDecoders.splice(i, 1);
    return true;
  }

  /** Routes received bytes to the pending decoders, in order. Throws on desync. */
  receive(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const head = this.inFlight[0];
      if (head === undefined) {
        throw new Pop3Error('POP3_DESYNC', 'server sent data while no reply was pending', {
          serverText: escapeServerText(chunk.subarray(pos)),
        });
      }
      pos = head.feed(chunk, pos);
      if (!head.done) {
        if (pos < chunk.length) throw new Error('reply decoder stopped before the end of the chunk');
        break;
      }
      this.inFlight.shift();
      if (head.seal && (pos < chunk.length || this.pending > 0)) {
        // RFC 2595 section 4 / RFC 3207 section 6: bytes after "+OK" to STLS were injected in
        // plaintext by someone on the path and must never be read as if they came over TLS.
        throw new Pop3Error('POP3_STLS_INJECTION', 'data arrived after STLS was accepted, before the TLS handshake', {
          command: head.command,
          serverText: escapeServerText(chunk.subarray(pos)),
        });
      }
      this.pump();
    }
    this.flush();
  }

  /** Fails every pending and waiting decoder; further submits throw `error`. */
  failAll(error: Error): void {
    if (this.failed === undefined) this.failed = error;
    const decoders = [...this.inFlight, ...this.waitingDecoders.slice(this.waitingHead)];
    this.inFlight.length = 0;
    this.waitingLines = [];
    this.waitingDecoders = [];
    this.waitingHead = 0;
    this.outgoing = [];
    for (const decoder of decoders) decoder.fail(error);
  }

  private assertAlive(): void {
    if (this.failed !== undefined) throw this.failed;
  }

  /** Moves waiting commands into flight as the window allows. */
  private pump(): void {
    const window = this.pipelining ? this.settings.window : 1;
    // Refill in batches: only once the in-flight count fell below the low-water mark, then up
    // to the window, so one write carries many commands (mpop: between 20 and 100). Replies
    // still pending guarantee a later refill, so nothing waits forever.
    const lowWater = this.pipelining ? this.settings.lowWater : 1;
    if (this.inFlight.length >= lowWater) return;
    const lines = this.waitingLines;
    const decoders = this.waitingDecoders;
    while (this.inFlight.length < window && this.waitingHead < decoders.length) {
      const line = lines[this.waitingHead] as string;
      const decoder = decoders[this.waitingHead] as ReplyDecoder;
      lines[this.waitingHead] = '';
      decoders[this.waitingHead++] = undefined as unknown as ReplyDecoder;
      this.inFlight.push(decoder);
      this.outgoing.push(line);
      this.onSend?.(line);
    }
    if (this.waitingHead === decoders.length) {
      // Drained: start over rather than keep a long array of holes.
      this.waitingLines = [];
      this.waitingDecoders = [];
      this.waitingHead = 0;
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > decoders.length) {
      this.waitingLines = lines.slice(this.waitingHead);
      this.waitingDecoders = decoders.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing.length === 0) return;
    const data = this.outgoing.join('\r\n') + '\r\n';
    this.outgoing = [];
    this.write(data);
  }
}
