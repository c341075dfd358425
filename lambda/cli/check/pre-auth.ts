/**
 * `check`'s look at a server BEFORE login: greeting, TLS, CAPA (after STLS when asked). The
 * engine's connectPop3 always authenticates, so this short read-only dialog reuses its pieces
 * (transport, LineSplitter, status and CAPA parsers) and sends nothing but CAPA, STLS and QUIT.
 * Never a credential: with no secret on the wire, it is safe on any connection.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { Pop3Error } from '../../pop3/errors.js';
import { escapeServerText } from '../../pop3/escape.js';
import { LineSplitter } from '../../pop3/framing.js';
import { DEFAULT_POP3_LIMITS } from '../../pop3/limits.js';
import { parseCapabilities, unknownCapabilities, type Pop3Capabilities } from '../../pop3/capabilities.js';
import { parseStatusLine, replyError } from '../../pop3/response.js';
import { connectTcp, connectTls, type Pop3TlsMode, type Pop3TlsOptions, type TlsInfo } from '../../pop3/transport.js';

/** Where and how to connect. */
export interface PreAuthTarget extends Pop3TlsOptions {
  host: string;
  port: number;
  tls: Pop3TlsMode;
}

/** What the server showed before login. */
export interface PreAuthInfo {
  /** Greeting text, escaped. */
  greeting: string;
  /** RFC 1939 section 7: an APOP timestamp in the greeting means APOP is offered. */
  apop: boolean;
  /** Connect + TLS + greeting, milliseconds. */
  connectMs: number;
  tls?: TlsInfo;
  /** CAPA on the final (protected, for starttls) connection. */
  capabilities: Pop3Capabilities;
  /** For starttls: CAPA before the upgrade. */
  capabilitiesBeforeStls?: Pop3Capabilities;
}

/** Connects, reads greeting and CAPA (upgrading with STLS when asked), then QUITs. */
export async function probePreAuth(target: PreAuthTarget, signal: AbortSignal): Promise<PreAuthInfo> {
  const started = performance.now();
  let socket: net.Socket | tls.TLSSocket | undefined;
  const onAbort = (): void => {
    socket?.destroy(new Pop3Error('POP3_TIMEOUT', `no complete answer from ${target.host}:${target.port} in time`));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    signal.throwIfAborted();
    let tlsInfo: TlsInfo | undefined;
    if (target.tls === 'implicit') {
      const secured = await connectTls(target.host, target.port, target);
      socket = secured.socket;
      tlsInfo = secured.info;
    } else {
      socket = await connectTcp(target.host, target.port);
    }
    let reader = new LineReader(socket);
    const greetingLine = await reader.status();
    if (greetingLine.kind !== 'ok') throw replyError(greetingLine, '(GREETING)', 'POP3_COMMAND_FAILED', 'server refused the connection');
    const connectMs = performance.now() - started;
    const greeting = escapeServerText(greetingLine.text);
    const apop = /<[^<>\s]+@[^<>\s]+>/.test(greetingLine.text);
    let capabilities = await capa(reader);
    let capabilitiesBeforeStls: Pop3Capabilities | undefined;
    if (target.tls === 'starttls') {
      capabilitiesBeforeStls = capabilities;
      if (!capabilities.stls && capabilities.capaSupported) {
        throw new Pop3Error('POP3_STLS_UNAVAILABLE', 'the server does not offer STLS (RFC 2595)');
      }
      reader.send('STLS');
      const reply = await reader.status();
      if (reply.kind !== 'ok') throw replyError(reply, 'STLS', 'POP3_STLS_UNAVAILABLE', 'the server refused STLS');
      // RFC 2595 section 4 / RFC 3207 section 6: anything already buffered came before TLS: an injection.
      if (reader.hasBufferedBytes()) throw new Pop3Error('POP3_STLS_INJECTION', 'the server sent data after +OK to STLS, before TLS started');
      reader.detach();
      const secured = await connectTls(target.host, target.port, target, socket);
      socket = secured.socket;
      tlsInfo = secured.info;
      reader = new LineReader(socket);
      // RFC 2595 section 4: forget what was learned before TLS; ask again.
      capabilities = await capa(reader);
    }
    reader.send('QUIT');
    await reader.status().catch(() => undefined);
    return {
      greeting,
      apop,
      connectMs,
      capabilities,
      ...(tlsInfo ? { tls: tlsInfo } : {}),
      ...(capabilitiesBeforeStls ? { capabilitiesBeforeStls } : {}),
    };
  } catch (error) {
    if (signal.aborted && !(error instanceof Pop3Error && error.code === 'POP3_TIMEOUT')) {
      throw new Pop3Error('POP3_TIMEOUT', `no complete answer from ${target.host}:${target.port} in time`, { cause: error });
    }
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket?.destroy();
  }
}

async function capa(reader: LineReader): Promise<Pop3Capabilities> {
  reader.send('CAPA');
  const reply = await reader.status();
  // RFC 2449 section 5: a server without CAPA answers -ERR; nothing can be assumed then.
  if (reply.kind !== 'ok') return unknownCapabilities();
  const lines: string[] = [];
  for (;;) {
    const line = (await reader.line()).toString('latin1');
    if (line === '.') break;
    if (lines.length >= DEFAULT_POP3_LIMITS.maxCapaLines) throw new Pop3Error('POP3_LIMIT_EXCEEDED', 'CAPA reply too long');
    lines.push(line.startsWith('.') ? line.slice(1) : line);
  }
  return parseCapabilities(lines);
}

/** Line-at-a-time reading of a socket, one reply at a time (no pipelining needed here). */
class LineReader {
  private readonly splitter = new LineSplitter(DEFAULT_POP3_LIMITS.maxLineLength);
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onData = (data: Buffer): void => {
    this.chunk = this.offset < this.chunk.length ? Buffer.concat([this.chunk.subarray(this.offset), data]) : data;
    this.offset = 0;
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.failure ??= new Pop3Error('POP3_CONNECTION_CLOSED', 'the server closed the connection');
    this.notify();
  };
  private readonly onError = (error: Error): void => {
    this.failure ??=
      error instanceof Pop3Error ? error : new Pop3Error('POP3_CONNECTION_CLOSED', 'the connection failed', { cause: error });
    this.notify();
  };

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  send(command: string): void {
    this.socket.write(`${command}\r\n`);
  }

  async status(): Promise<ReturnType<typeof parseStatusLine>> {
    return parseStatusLine(await this.line());
  }

  async line(): Promise<Buffer> {
    for (;;) {
      if (this.offset < this.chunk.length) {
        const line = this.splitter.next(this.chunk, this.offset);
        this.offset = this.splitter.end;
        if (line !== null) return Buffer.from(line);
        // The splitter kept the partial line; the chunk is consumed.
        this.chunk = Buffer.alloc(0);
        this.offset = 0;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  hasBufferedBytes(): boolean {
    return this.offset < this.chunk.length || this.socket.readableLength > 0;
  }

  /** Stops listening (before the socket is handed to TLS). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
