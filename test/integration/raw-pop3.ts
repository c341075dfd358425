/**
 * A deliberately dumb POP3 client on a raw socket, independent of the engine under test:
 * it proves the harness alone and gives interop tests a second opinion on what the server sent.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** One server reply: the status line (without CRLF) and, for multi-line replies, the unstuffed body. */
export interface RawReply {
  status: string;
  ok: boolean;
  /** RFC 1939 section 3: the body with byte-stuffing removed and the terminator dropped. */
  body?: Buffer;
}

/** A raw POP3 connection: send lines, read replies in order. */
export class RawPop3 {
  readonly greeting: Promise<RawReply>;
  private buffer = Buffer.alloc(0);
  private readonly waiters: Array<{ multiline: boolean; resolve: (reply: RawReply) => void; reject: (error: Error) => void }> = [];
  private closedError: Error | undefined;

  private constructor(private socket: Socket | TLSSocket) {
    this.greeting = this.expect(false);
    this.attach(socket);
  }

  /** Opens a plain TCP connection. */
  static plain(host: string, port: number): Promise<RawPop3> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPop3(socket));
      });
    });
  }

  /** Opens an implicit-TLS connection (POP3S). */
  static tls(host: string, port: number, options: ConnectionOptions): Promise<RawPop3> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host, port, ...options });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawPop3(socket));
      });
    });
  }

  /** Sends one command line and waits for its reply; multiline for LIST/UIDL/RETR/TOP/CAPA without args. */
  command(line: string, multiline = false): Promise<RawReply> {
    const reply = this.expect(multiline);
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** Sends several commands in one write (RFC 2449 PIPELINING) and collects the replies in order. */
  pipeline(commands: ReadonlyArray<{ line: string; multiline?: boolean }>): Promise<RawReply[]> {
    const replies = commands.map((c) => this.expect(c.multiline ?? false));
    this.socket.write(commands.map((c) => `${c.line}\r\n`).join(''));
    return Promise.all(replies);
  }

  /** RFC 2595 STLS: upgrades this connection to TLS after +OK. */
  async stls(options: ConnectionOptions): Promise<RawReply> {
    const reply = await this.command('STLS');
    if (!reply.ok) return reply;
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, ...options });
    await new Promise<void>((resolve, reject) => {
      secure.once('error', reject);
      secure.once('secureConnect', () => {
        secure.off('error', reject);
        resolve();
      });
    });
    this.socket = secure;
    this.attach(secure);
    return reply;
  }

  /** Destroys the socket without QUIT (a dropped connection). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Sends QUIT and waits for the server to close. */
  async quit(): Promise<RawReply> {
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    const reply = await this.command('QUIT');
    await closed;
    return reply;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private expect(multiline: boolean): Promise<RawReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiters.push({ multiline, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    for (;;) {
      const waiter = this.waiters[0];
      if (!waiter) return;
      const eol = this.buffer.indexOf('\r\n');
      if (eol < 0) return;
      const status = this.buffer.subarray(0, eol).toString('latin1');
      const ok = status.startsWith('+OK');
      let consumed = eol + 2;
      let body: Buffer | undefined;
      if (waiter.multiline && ok) {
        // The body ends at CRLF "." CRLF; a body may be empty, then "." follows the status line.
        const start = consumed;
        const end = this.buffer.subarray(start - 2).indexOf('\r\n.\r\n');
        if (end < 0) return;
        const bodyEnd = start - 2 + end + 2;
        body = unstuff(this.buffer.subarray(start, bodyEnd));
        consumed = bodyEnd + 3;
      }
      this.buffer = this.buffer.subarray(consumed);
      this.waiters.shift();
      waiter.resolve(body === undefined ? { status, ok } : { status, ok, body });
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

/** RFC 1939 section 3: a line starting with '.' had one '.' prepended; remove it. */
export function unstuff(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let lineStart = 0;
  while (lineStart < data.length) {
    const eol = data.indexOf('\r\n', lineStart);
    const lineEnd = eol < 0 ? data.length : eol + 2;
    const from = data[lineStart] === 0x2e ? lineStart + 1 : lineStart;
    out.push(data.subarray(from, lineEnd));
    lineStart = lineEnd;
  }
  return Buffer.concat(out);
}
