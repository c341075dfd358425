/**
 * One socket plus its pipeline: routes received bytes to the pending decoders, writes
 * commands, runs the command-inactivity timer, applies body backpressure to the socket, and
 * turns any failure into one fatal Pop3Error that fails everything pending.
 */
import type net from 'node:net';
import { Pop3Error } from './errors.js';
import type { FlowControl } from './decoders.js';
import { Pipeline, type ReplyDecoder } from './pipeline.js';
import type { Pop3Limits } from './limits.js';

/** Debug hooks; never receives secrets (commands are masked by the caller's maskCommand). */
export interface ConnectionEvents {
  onSend?: (line: string) => void;
  onClose?: (error: Pop3Error | undefined) => void;
}

/** A live POP3 byte stream with its command pipeline. */
export class Connection implements FlowControl {
  readonly pipeline: Pipeline;
  private socket: net.Socket | undefined;
  private fatal: Pop3Error | undefined;
  private closed = false;
  private pausedBy: object | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the inactivity window now running began (armed, or the last byte received). */
  private windowStartedAt = 0;
  private readonly closeListeners: Array<() => void> = [];
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onError = (error: Error): void => {
    this.fail(new Pop3Error('POP3_CONNECTION_CLOSED', `connection failed (${(error as { code?: string }).code ?? error.message})`, { cause: error }));
  };
  private readonly onEnd = (): void => {
    if (this.pipeline.inFlightCount > 0) this.fail(new Pop3Error('POP3_CONNECTION_CLOSED', 'server closed the connection with a reply pending', this.headContext()));
    else this.finish(undefined);
  };

  constructor(socket: net.Socket, private readonly limits: Pop3Limits, private readonly events: ConnectionEvents = {}) {
    this.pipeline = new Pipeline(
      (data) => this.write(data),
      { window: limits.pipelineWindow, lowWater: limits.pipelineLowWater },
      events.onSend,
    );
    this.attach(socket);
  }

  /** The fatal error, once the session died. */
  get error(): Pop3Error | undefined {
    return this.fatal;
  }

  /** True once the socket is gone (after QUIT, abort or failure). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `listener` once the connection is closed (QUIT, abort or failure). */
  onClosed(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Awaits an unsolicited reply (the greeting). */
  expect<D extends ReplyDecoder>(decoder: D): D {
    this.assertOpen();
    this.pipeline.expect(decoder);
    this.armTimer();
    return decoder;
  }

  /** Sends a command and returns its decoder. */
  send<D extends ReplyDecoder>(line: string, decoder: D): D {
    this.assertOpen();
    this.pipeline.submit(line, decoder);
    this.armTimer();
    return decoder;
  }

  /**
   * Hands the raw socket over for a TLS upgrade (after +OK to STLS). Anything the socket has
   * already buffered arrived in plaintext after the +OK: RFC 2595 injection, fail.
   */
  detach(): net.Socket {
    this.assertOpen();
    const socket = this.socket;
    if (socket === undefined) throw new Pop3Error('POP3_CONNECTION_CLOSED', 'connection is closed');
    socket.pause();
    this.unlisten(socket);
    this.socket = undefined;
    this.clearTimer();
    if (socket.readableLength > 0) {
      socket.destroy();
      const error = new Pop3Error('POP3_STLS_INJECTION', 'data arrived after STLS was accepted, before the TLS handshake', { command: 'STLS' });
      this.fail(error);
      throw error;
    }
    return socket;
  }

  /** Continues the session over a new (TLS) socket. */
  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.resume();
  }

  /** Kills the session: destroys the socket and fails everything pending with `error`. Idempotent. */
  fail(error: Pop3Error): void {
    if (this.fatal !== undefined || this.closed) return;
    this.fatal = error;
    this.pipeline.failAll(error);
    this.finish(error);
  }

  /** Closes after a successful QUIT (the server closes too). */
  close(): void {
    this.socket?.end();
    this.finish(undefined);
  }

  /** FlowControl: a body stream is full; stop reading the socket. */
  pause(owner: object): void {
    this.pausedBy = owner;
    this.socket?.pause();
    // A slow consumer is not a slow server: no inactivity timeout while we hold the socket.
    this.clearTimer();
  }

  /** FlowControl: the body stream that paused us wants more. */
  resume(owner: object): void {
    if (this.pausedBy !== owner) return;
    this.pausedBy = undefined;
    this.socket?.resume();
    this.armTimer();
  }

  private receive(chunk: Buffer): void {
    // Any byte from the server proves it is alive: restart the inactivity clock.
    this.windowStartedAt = performance.now();
    this.timer?.refresh();
    try {
      this.pipeline.receive(chunk);
    } catch (error) {
      this.fail(error instanceof Pop3Error ? error : new Pop3Error('POP3_PROTOCOL', 'cannot decode server reply', { cause: error }));
      return;
    }
    if (this.pipeline.inFlightCount === 0) this.clearTimer();
    else this.armTimer();
  }

  private write(data: string): void {
    if (this.socket === undefined || this.socket.destroyed) return;
    this.socket.write(data, 'latin1');
  }

  private armTimer(): void {
    if (this.pausedBy !== undefined || this.closed) return;
    if (this.timer !== undefined) return;
    this.windowStartedAt = performance.now();
    this.timer = setTimeout(() => this.onInactivity(), this.limits.commandTimeoutMs);
    this.timer.unref();
  }

  /**
   * The window ran out. A timer that fires well past its time means this thread was busy (a long
   * synchronous step, a starved CPU: a first import of a big mailbox, niced, hit this after its
   * RETRs were sent): timers run before pending socket reads, so the replies may be sitting
   * unread. Silence counts only while we listen: a late window starts afresh instead of failing.
   */
  private onInactivity(): void {
    this.timer = undefined;
    if (this.pipeline.inFlightCount === 0 || this.pausedBy !== undefined || this.closed) return;
    const timeout = this.limits.commandTimeoutMs;
    const late = performance.now() - this.windowStartedAt - timeout;
    if (late > timeout / 4) {
      this.armTimer();
      return;
    }
    this.fail(new Pop3Error('POP3_TIMEOUT', `no data from server for ${timeout} ms`, this.headContext()));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private headContext(): { command?: string } {
    const head = this.pipeline.head;
    return head === undefined ? {} : { command: head.command };
  }

  private assertOpen(): void {
    if (this.fatal !== undefined) throw this.fatal;
    if (this.closed) throw new Pop3Error('POP3_CONNECTION_CLOSED', 'connection is closed');
  }

  private finish(error: Pop3Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    const socket = this.socket;
    if (socket !== undefined) {
      this.unlisten(socket);
      socket.on('error', () => undefined);
      if (error !== undefined) socket.destroy();
    }
    if (this.pipeline.pending > 0 && error === undefined) {
      this.pipeline.failAll(new Pop3Error('POP3_CONNECTION_CLOSED', 'connection closed', this.headContext()));
    }
    this.events.onClose?.(error);
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private unlisten(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('end', this.onEnd);
    socket.off('close', this.onEnd);
  }
}
