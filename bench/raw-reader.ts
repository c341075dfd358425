/**
 * The practical limit: the least a POP3 client can do. It logs in, sends UIDL, then pipelines
 * RETR 1..n with the same window as our engine (refill to `window` once fewer than `lowWater`
 * are in flight), and only counts "\r\n.\r\n" terminators while discarding the bytes. No
 * parsing, no unstuffing, no streams: whatever our client spends above this is its overhead.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where to read from; implicit TLS (RFC 8314) when `ca` is given, plaintext otherwise. */
export interface RawReaderOptions {
  host: string;
  port: number;
  /** Trust anchor for implicit TLS; omit for plaintext. */
  ca?: string;
  /** Name to verify the server certificate against (default 'localhost'). */
  servername?: string;
  user: string;
  password: string;
  /** Most RETR commands in flight. */
  window: number;
  /** Refill the window once fewer than this many are in flight. */
  lowWater: number;
  /** Give up after this long (default 300 s): a benchmark must not hang. */
  timeoutMs?: number;
}

/** What one raw run fetched and how long it took, from connect to the QUIT reply. */
export interface RawReaderResult {
  messages: number;
  /** Octets received during the RETR phase (status lines and terminators included). */
  bytes: number;
  elapsedMs: number;
  maxInFlight: number;
}

const TERMINATOR = Buffer.from('\r\n.\r\n', 'latin1');

/** Fetches every message of the mailbox once, discarding it. */
export async function rawFetchAll(options: RawReaderOptions): Promise<RawReaderResult> {
  const started = performance.now();
  const socket: Socket = options.ca === undefined
    ? netConnect({ host: options.host, port: options.port })
    : tlsConnect({ host: options.host, port: options.port, ca: options.ca, servername: options.servername ?? 'localhost' });
  socket.setNoDelay(true);
  const timer = setTimeout(() => socket.destroy(new Error('raw reader timed out')), options.timeoutMs ?? 300_000);
  try {
    const reader = new LineReader(socket);
    await reader.expectOk(); // greeting
    socket.write(`USER ${options.user}\r\n`);
    await reader.expectOk();
    socket.write(`PASS ${options.password}\r\n`);
    await reader.expectOk();
    socket.write('UIDL\r\n');
    await reader.expectOk();
    let count = 0;
    for (let line = await reader.line(); line !== '.'; line = await reader.line()) count += 1;

    const counted = await countRetrs(socket, reader, count, options);
    socket.write('QUIT\r\n');
    await reader.expectOk();
    return { messages: count, bytes: counted.bytes, elapsedMs: performance.now() - started, maxInFlight: counted.maxInFlight };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

async function countRetrs(
  socket: Socket, reader: LineReader, count: number, options: RawReaderOptions,
): Promise<{ bytes: number; maxInFlight: number }> {
  if (count === 0) return { bytes: 0, maxInFlight: 0 };
  reader.detach();
  let sent = 0;
  let done = 0;
  let bytes = 0;
  let maxInFlight = 0;
  const terminators = new TerminatorCounter();
  const refill = () => {
    const until = Math.min(count, done + options.window);
    if (until <= sent) return;
    let batch = '';
    for (let i = sent + 1; i <= until; i += 1) batch += `RETR ${i}\r\n`;
    sent = until;
    maxInFlight = Math.max(maxInFlight, sent - done);
    socket.write(batch);
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      done += terminators.feed(chunk);
      if (done >= count) {
        socket.off('data', onData);
        socket.off('error', reject);
        reader.attach();
        resolve({ bytes, maxInFlight });
      } else if (sent - done < options.lowWater) {
        refill();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    refill();
  });
}

/** Just enough line reading for the greeting, login and UIDL; not used for bodies. */
class LineReader {
  private buffered = '';
  private waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.buffered += chunk.toString('latin1');
    this.deliver();
  };

  constructor(private readonly socket: Socket) {
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
    this.attach();
  }

  attach(): void {
    this.socket.on('data', this.onData);
  }

  detach(): void {
    this.socket.off('data', this.onData);
  }

  line(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.deliver();
    });
  }

  async expectOk(): Promise<string> {
    const line = await this.line();
    if (!line.startsWith('+OK')) throw new Error(`server said: ${line.slice(0, 80)}`);
    return line;
  }

  private deliver(): void {
    const at = this.buffered.indexOf('\r\n');
    if (at === -1 || !this.waiting) return;
    const line = this.buffered.slice(0, at);
    this.buffered = this.buffered.slice(at + 2);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(line);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }
}

/**
 * Counts "\r\n.\r\n" in a byte stream fed in arbitrary chunks. RFC 1939 section 3 byte-stuffs
 * any body line starting with ".", so inside a body the sequence cannot occur: one per reply.
 */
export class TerminatorCounter {
  /** The last octets of the previous chunk (fewer than a terminator): a split one is not missed. */
  private tail: Buffer = Buffer.alloc(0);

  /** Returns how many terminators end in this chunk. */
  feed(chunk: Buffer): number {
    let found = 0;
    if (this.tail.length > 0) {
      // The seam holds at most 4 + 4 octets: any match in it straddles the two chunks.
      const seam = Buffer.concat([this.tail, chunk.subarray(0, TERMINATOR.length - 1)]);
      if (seam.indexOf(TERMINATOR) !== -1) found += 1;
    }
    for (let at = chunk.indexOf(TERMINATOR); at !== -1; at = chunk.indexOf(TERMINATOR, at + TERMINATOR.length)) found += 1;
    const keep = chunk.length >= TERMINATOR.length - 1 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(keep.subarray(Math.max(0, keep.length - (TERMINATOR.length - 1))));
    return found;
  }
}
