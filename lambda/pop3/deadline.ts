/**
 * The one handshake deadline: connect, TLS, greeting, CAPA, STLS and login share it (and the
 * caller's signal until login), whether the caller opens and logs in at once (connectPop3) or
 * looks at the pre-auth session in between (openPop3, then login).
 */
import type net from 'node:net';
import type { Connection } from './connection.js';
import { IngestError } from '../shared/errors.js';
import { Pop3Error } from './errors.js';

/** Stops the handshake at the deadline or on the caller's abort, killing the socket. */
export class HandshakeDeadline {
  /** The raw socket, once connected: destroyed when the deadline stops the handshake. */
  socket: net.Socket | undefined;
  /** The connection, once greeting is awaited: failed when the deadline stops the handshake. */
  connection: Connection | undefined;
  private reason: Pop3Error | undefined;
  private reject: ((error: Pop3Error) => void) | undefined;
  private readonly stopped: Promise<never>;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => this.stop(aborted(this.signal?.reason));

  constructor(timeoutMs: number, private readonly signal: AbortSignal | undefined) {
    this.stopped = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.stopped.catch(() => undefined);
    this.timer = setTimeout(
      () => this.stop(new Pop3Error('POP3_TIMEOUT', `connect, TLS and login not finished within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Why the handshake was stopped, if it was. */
  get stopReason(): Pop3Error | undefined {
    return this.reason;
  }

  /** Ends the handshake with `error`: the socket dies and pending work rejects. */
  stop(error: Pop3Error): void {
    this.reason ??= error;
    this.socket?.destroy();
    this.connection?.fail(error);
    this.reject?.(error);
  }

  /** Runs one handshake step under the deadline; a failure closes everything and ends the deadline. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await Promise.race([step(), this.stopped]);
    } catch (error) {
      const failure = asPop3Error(error);
      this.connection?.fail(failure);
      this.socket?.destroy();
      this.end();
      throw failure;
    }
  }

  /** The handshake is over (logged in, quit or failed): no more timer, no more abort listener. */
  end(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** The error of a handshake the caller aborted. */
export function aborted(reason: unknown): Pop3Error {
  return new Pop3Error('POP3_ABORTED', 'connect aborted by the caller', { cause: reason });
}

function asPop3Error(error: unknown): Pop3Error {
  if (error instanceof Pop3Error) return error;
  if (error instanceof IngestError) {
    return new Pop3Error(error.category === 'auth' ? 'POP3_AUTH_FAILED' : 'POP3_PROTOCOL', error.message, { cause: error });
  }
  return new Pop3Error('POP3_PROTOCOL', 'unexpected failure during connect', { cause: error });
}
