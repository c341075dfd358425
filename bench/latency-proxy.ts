/**
 * A loopback TCP proxy that models a slow link: every chunk, in both directions, is delivered
 * `delayMs` after it arrived, in arrival order (a fixed one-way latency, no bandwidth cap).
 * A client that waits for each reply pays 2 x delayMs per command; a pipelining one does not.
 *
 * It also watches the plaintext POP3 dialogue (ReplyTracker) to count commands in flight, so
 * every contender is measured by the same yardstick, outside the client.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ReplyTracker, type PipelineStats } from './reply-tracker.js';

/** Where to forward and how slow the link is. */
export interface LatencyProxyOptions {
  upstreamHost: string;
  upstreamPort: number;
  /** One-way delay applied to every chunk, in milliseconds. */
  delayMs: number;
  /**
   * Watch the dialogue as POP3 (default true). Off for anything else (HTTP to S3): the tracker
   * would take every line of gigabytes of uploads for a command and keep it pending.
   */
  trackPop3?: boolean;
}

/** A running proxy; figures are per connection, merged since the last reset. */
export interface LatencyProxy {
  host: string;
  port: number;
  /** Merged figures of the connections since the last reset (maxima are maxima, counts add up). */
  stats(): PipelineStats & { connections: number };
  resetStats(): void;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 with an OS-chosen port. */
export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  let trackers: ReplyTracker[] = [];
  let connections = 0;

  // Half-open on both sides: an end is forwarded after the delay like any other chunk.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections += 1;
    const tracker = new ReplyTracker();
    const track = options.trackPop3 ?? true;
    if (track) trackers.push(tracker);
    const upstream = createConnection({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
      // Either side failing ends the pair: the contender sees a reset, as on a real link.
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const toServer = new DelayLine(options.delayMs, upstream, (lines) => tracker.forwardedToServer(lines));
    const toClient = new DelayLine(options.delayMs, client, () => undefined);
    client.on('data', (chunk: Buffer) => toServer.push(chunk, track ? tracker.clientData(chunk) : 0));
    upstream.on('data', (chunk: Buffer) => {
      if (track) tracker.serverData(chunk); // replies complete when the server sent them, before the delay
      toClient.push(chunk, 0);
    });
    client.on('end', () => toServer.end());
    upstream.on('end', () => toClient.end());
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  return {
    host: '127.0.0.1',
    port: address.port,
    stats() {
      const all = trackers.map((t) => t.snapshot());
      const sum = (key: keyof PipelineStats) => all.reduce((acc, s) => acc + s[key], 0);
      const max = (key: keyof PipelineStats) => all.reduce((acc, s) => Math.max(acc, s[key]), 0);
      return {
        connections,
        commandLines: sum('commandLines'),
        clientChunks: sum('clientChunks'),
        fetchCommands: sum('fetchCommands'),
        repliesCompleted: sum('repliesCompleted'),
        maxInFlight: max('maxInFlight'),
        maxLinesPerChunk: max('maxLinesPerChunk'),
        unexpectedReplies: sum('unexpectedReplies'),
      };
    },
    resetStats() {
      trackers = [];
      connections = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Queued {
  due: number;
  chunk: Buffer | null; // null: forward the end of stream
  lines: number;
}

/**
 * One direction of the link: a FIFO drained by a single timer, so chunks leave in arrival
 * order even when the timer fires late (separate timers per chunk could reorder under load).
 */
class DelayLine {
  private readonly queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly target: Socket,
    private readonly onForward: (lines: number) => void,
  ) {}

  push(chunk: Buffer, lines: number): void {
    this.enqueue({ due: performance.now() + this.delayMs, chunk, lines });
  }

  end(): void {
    this.enqueue({ due: performance.now() + this.delayMs, chunk: null, lines: 0 });
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    if (this.timer === undefined) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => this.drain(), Math.max(0, head.due - performance.now()));
  }

  private drain(): void {
    // Half a millisecond of slack: timers have millisecond resolution.
    const now = performance.now() + 0.5;
    while (this.queue[0] && this.queue[0].due <= now) {
      const item = this.queue.shift() as Queued;
      if (this.target.destroyed) continue;
      if (item.chunk === null) {
        this.target.end();
      } else {
        this.target.write(item.chunk);
        this.onForward(item.lines);
      }
    }
    this.arm();
  }
}
