/**
 * The demo's embedded POP3 server: small, but correct (RFC 1939, RFC 2449 CAPA and response
 * codes). Loopback only, port chosen by the OS, plaintext (the demo says so), one user.
 *
 * Not a production server: no TLS, no APOP/SASL. It exists so `pop3-ingest demo` runs the real
 * client engine against a real socket with no setup.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { encodeMultiline } from '../../pop3/index.js';
import type { DemoMessage } from './samples.js';

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  messages: readonly DemoMessage[];
  user: string;
  password: string;
  /** Listen address; loopback only. Default 127.0.0.1. */
  host?: '127.0.0.1' | '::1';
  /** Port; default 0 (the OS picks). */
  port?: number;
}

/** A running demo server. */
export interface DemoServer {
  readonly host: string;
  readonly port: number;
  /** Messages currently in the maildrop (after committed deletions). */
  messageCount(): number;
  /** Stops listening and closes every session. */
  close(): Promise<void>;
}

/** RFC 2449 section 4: a command line is at most 255 octets; we allow some slack. */
const MAX_COMMAND_LINE = 1024;
/** RFC 1939 section 3: an autologout timer of at least 10 minutes. */
const AUTOLOGOUT_MS = 10 * 60 * 1000;

const CAPA = ['USER', 'PIPELINING', 'UIDL', 'TOP', 'RESP-CODES', 'AUTH-RESP-CODE', 'EXPIRE NEVER', 'IMPLEMENTATION pop3-ingest-demo'];

interface Maildrop {
  messages: DemoMessage[];
  locked: boolean;
}

/** Starts the demo server on loopback; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  const maildrop: Maildrop = { messages: [...options.messages], locked: false };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new DemoSession(socket, maildrop, options.user, options.password).start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('demo server: no TCP address');
  return {
    host,
    port: address.port,
    messageCount: () => maildrop.messages.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type State = 'authorization' | 'transaction' | 'closed';

/** One client connection: the RFC 1939 state machine. */
class DemoSession {
  private state: State = 'authorization';
  private pendingUser: string | undefined;
  private deleted = new Set<number>();
  private holdsLock = false;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly lines: string[] = [];
  private waitingForDrain = false;

  constructor(
    private readonly socket: Socket,
    private readonly maildrop: Maildrop,
    private readonly user: string,
    private readonly password: string,
  ) {}

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.setTimeout(AUTOLOGOUT_MS, () => this.socket.destroy());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => {
      this.waitingForDrain = false;
      this.socket.resume();
      this.pump();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.releaseLock());
    // RFC 1939 section 4: no <timestamp> in the greeting, because this server offers no APOP.
    this.send('+OK pop3-ingest demo server ready');
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let nl: number;
    while ((nl = this.buffer.indexOf(0x0a)) !== -1) {
      const end = nl > 0 && this.buffer[nl - 1] === 0x0d ? nl - 1 : nl;
      this.lines.push(this.buffer.subarray(0, end).toString('latin1'));
      this.buffer = this.buffer.subarray(nl + 1);
    }
    if (this.buffer.length > MAX_COMMAND_LINE) {
      this.send('-ERR command line too long');
      this.close();
      return;
    }
    this.pump();
  }

  /** Answers queued commands in order (pipelining, RFC 2449 section 6.6) while the socket drains. */
  private pump(): void {
    while (!this.waitingForDrain && this.state !== 'closed') {
      const line = this.lines.shift();
      if (line === undefined) return;
      this.handle(line);
    }
  }

  private handle(line: string): void {
    if (line.length > MAX_COMMAND_LINE) return this.send('-ERR command line too long');
    const [verbRaw = '', ...args] = line.split(' ');
    const verb = verbRaw.toUpperCase();
    if (verb === 'CAPA') return this.sendMulti('+OK capability list follows', CAPA.map((c) => Buffer.from(c)));
    if (verb === 'QUIT') return this.quit();
    if (this.state === 'authorization') return this.handleAuthorization(verb, args);
    return this.handleTransaction(verb, args);
  }

  private handleAuthorization(verb: string, args: string[]): void {
    switch (verb) {
      case 'USER':
        if (args.length !== 1) return this.send('-ERR usage: USER name');
        this.pendingUser = args[0];
        return this.send('+OK send PASS');
      case 'PASS': {
        const user = this.pendingUser;
        this.pendingUser = undefined;
        if (user === undefined) return this.send('-ERR USER first');
        // RFC 1939 section 7: the password may contain spaces.
        if (!this.credentialsMatch(user, args.join(' '))) return this.send('-ERR [AUTH] invalid user name or password');
        // RFC 1939 section 8 / RFC 2449 section 8.1.1: one session at a time holds the maildrop.
        if (this.maildrop.locked) return this.send('-ERR [IN-USE] maildrop already locked by another session');
        this.maildrop.locked = true;
        this.holdsLock = true;
        this.state = 'transaction';
        return this.send(`+OK maildrop locked and ready, ${this.maildrop.messages.length} messages`);
      }
      case 'STLS':
        return this.send('-ERR TLS is not available on the demo server');
      default:
        return this.send('-ERR not allowed before login (USER/PASS, CAPA, QUIT)');
    }
  }

  private handleTransaction(verb: string, args: string[]): void {
    switch (verb) {
      case 'STAT': {
        const live = this.live();
        return this.send(`+OK ${live.length} ${live.reduce((n, [, m]) => n + m.data.length, 0)}`);
      }
      case 'LIST':
      case 'UIDL': {
        const field = (m: DemoMessage): string => (verb === 'LIST' ? String(m.data.length) : m.uid);
        if (args.length === 0) {
          const lines = this.live().map(([n, m]) => Buffer.from(`${n} ${field(m)}`));
          return this.sendMulti(`+OK ${lines.length} messages`, lines);
        }
        const n = this.messageNumber(args[0]);
        if (n === undefined) return;
        return this.send(`+OK ${n} ${field(this.messageAt(n))}`);
      }
      case 'RETR': {
        const n = this.messageNumber(args[0]);
        if (n === undefined) return;
        const data = this.messageAt(n).data;
        return this.sendMulti(`+OK ${data.length} octets`, splitLines(data));
      }
      case 'TOP': {
        const n = this.messageNumber(args[0]);
        if (n === undefined) return;
        const count = /^\d{1,9}$/.test(args[1] ?? '') ? Number(args[1]) : NaN;
        if (Number.isNaN(count)) return this.send('-ERR usage: TOP msg lines');
        return this.sendMulti('+OK top of message follows', topLines(this.messageAt(n).data, count));
      }
      case 'DELE': {
        const n = this.messageNumber(args[0]);
        if (n === undefined) return;
        this.deleted.add(n);
        return this.send(`+OK message ${n} deleted`);
      }
      case 'RSET':
        this.deleted.clear();
        return this.send(`+OK maildrop has ${this.maildrop.messages.length} messages`);
      case 'NOOP':
        return this.send('+OK');
      default:
        return this.send('-ERR unknown command');
    }
  }

  /** RFC 1939 section 6: deletions take effect only here, in the UPDATE state. */
  private quit(): void {
    if (this.state === 'transaction') {
      this.maildrop.messages = this.maildrop.messages.filter((_, i) => !this.deleted.has(i + 1));
      this.releaseLock();
    }
    this.send('+OK pop3-ingest demo server signing off');
    this.close();
  }

  private credentialsMatch(user: string, password: string): boolean {
    const a = Buffer.from(password);
    const b = Buffer.from(this.password);
    return user === this.user && a.length === b.length && timingSafeEqual(a, b);
  }

  /** Parses a message-number argument; answers -ERR itself when it is invalid or deleted. */
  private messageNumber(arg: string | undefined): number | undefined {
    const n = /^\d{1,9}$/.test(arg ?? '') ? Number(arg) : NaN;
    if (!(n >= 1 && n <= this.maildrop.messages.length)) {
      this.send('-ERR no such message');
      return undefined;
    }
    if (this.deleted.has(n)) {
      this.send(`-ERR message ${n} already deleted`);
      return undefined;
    }
    return n;
  }

  private messageAt(n: number): DemoMessage {
    const m = this.maildrop.messages[n - 1];
    if (m === undefined) throw new Error(`demo server: message ${n} vanished`);
    return m;
  }

  private live(): Array<[number, DemoMessage]> {
    return this.maildrop.messages.map((m, i) => [i + 1, m] as [number, DemoMessage]).filter(([n]) => !this.deleted.has(n));
  }

  private send(line: string): void {
    this.write(Buffer.from(`${line}\r\n`, 'latin1'));
  }

  /** A multi-line response (RFC 1939 section 3), dot-stuffed and terminated by the engine's own framer. */
  private sendMulti(status: string, lines: readonly Buffer[]): void {
    const body = Buffer.concat(lines.flatMap((l) => [l, CRLF]));
    this.write(Buffer.concat([Buffer.from(`${status}\r\n`, 'latin1'), encodeMultiline(body)]));
  }

  private write(data: Buffer): void {
    if (this.state === 'closed') return;
    if (!this.socket.write(data)) {
      // Backpressure: stop answering (and reading) until the client catches up.
      this.waitingForDrain = true;
      this.socket.pause();
    }
  }

  private close(): void {
    this.state = 'closed';
    this.releaseLock();
    this.socket.end();
  }

  private releaseLock(): void {
    if (this.holdsLock) {
      this.maildrop.locked = false;
      this.holdsLock = false;
    }
  }
}

const CRLF = Buffer.from('\r\n');

/** Splits a CRLF message into lines without their line ends (a trailing CRLF ends the last line). */
export function splitLines(data: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(0x0a, start);
    if (nl === -1) {
      lines.push(data.subarray(start));
      break;
    }
    lines.push(data.subarray(start, nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl));
    start = nl + 1;
  }
  return lines;
}

/** RFC 1939 section 7 TOP: the header block, the blank line, then `count` body lines. */
export function topLines(data: Buffer, count: number): Buffer[] {
  const lines = splitLines(data);
  const blank = lines.findIndex((l) => l.length === 0);
  if (blank === -1) return lines;
  return lines.slice(0, blank + 1 + count);
}
