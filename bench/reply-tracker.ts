/**
 * Watches both directions of a plaintext POP3 session from the middle (the latency proxy) and
 * keeps the one figure that shows pipelining from outside the client: how many commands were
 * at the server at once (forwarded, reply not yet complete). Same yardstick for every client.
 *
 * Pure state machine fed arbitrary chunks: results do not depend on where chunks split.
 */

/** What the tracker saw on one connection. */
export interface PipelineStats {
  /** Client lines forwarded to the server (commands and SASL responses). */
  commandLines: number;
  /** Client chunks carrying at least one line: roughly the client's writes (syscalls, TLS records). */
  clientChunks: number;
  /** RETR and TOP commands among them. */
  fetchCommands: number;
  /** Replies the server completed (greeting included; a SASL "+ " continuation counts as one). */
  repliesCompleted: number;
  /** Most of (lines forwarded - replies completed) observed at any forward: commands in flight. */
  maxInFlight: number;
  /** Most client lines carried by one chunk (what a client wrote in one go). */
  maxLinesPerChunk: number;
  /** Server lines that arrived with no command pending: a desync (should stay 0). */
  unexpectedReplies: number;
}

interface Pending {
  /** RFC 1939: RETR, TOP, CAPA and argument-less UIDL/LIST answer +OK with a dot-terminated body. */
  multiLine: boolean;
}

const CRLF_DOT_CRLF = Buffer.from('\r\n.\r\n', 'latin1');

/** Tracks commands in flight for one POP3 connection seen in the clear. */
export class ReplyTracker {
  private readonly pending: Pending[] = [{ multiLine: false }]; // RFC 1939 section 4: the greeting
  private clientPartial = '';
  private serverPartial = '';
  private inBody = false;
  /** Last bytes of the body scanned so far, so a terminator split across chunks is found. */
  private bodyTail: Buffer = Buffer.alloc(0);
  private awaitingSaslResponses = 0;
  /** Starts at 1: the connection itself awaits a reply, the greeting. */
  private forwarded = 1;
  private readonly stats: PipelineStats = {
    commandLines: 0, clientChunks: 0, fetchCommands: 0, repliesCompleted: 0, maxInFlight: 0, maxLinesPerChunk: 0, unexpectedReplies: 0,
  };

  /** Feeds client bytes as they arrive; returns how many complete lines the chunk ended. */
  clientData(chunk: Buffer): number {
    const text = this.clientPartial + chunk.toString('latin1');
    const lines = text.split('\r\n');
    this.clientPartial = lines.pop() ?? '';
    for (const line of lines) this.classifyClientLine(line);
    this.stats.maxLinesPerChunk = Math.max(this.stats.maxLinesPerChunk, lines.length);
    return lines.length;
  }

  /** Records that `lines` client lines were just written to the server. */
  forwardedToServer(lines: number): void {
    if (lines === 0) return;
    this.stats.clientChunks += 1;
    this.forwarded += lines;
    this.stats.commandLines += lines;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.forwarded - this.stats.repliesCompleted);
  }

  /** Feeds server bytes as they arrive from the server. */
  serverData(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.inBody) {
        offset = this.scanBody(chunk, offset);
        continue;
      }
      const lf = chunk.indexOf(0x0a, offset);
      if (lf === -1) {
        this.serverPartial += chunk.toString('latin1', offset);
        return;
      }
      const line = this.serverPartial + chunk.toString('latin1', offset, lf + 1);
      this.serverPartial = '';
      offset = lf + 1;
      this.statusLine(line);
    }
  }

  /** A copy of the figures so far. */
  snapshot(): PipelineStats {
    return { ...this.stats };
  }

  private classifyClientLine(line: string): void {
    if (this.awaitingSaslResponses > 0) {
      // RFC 5034 section 4: after a "+ " challenge the next client line is a SASL response.
      this.awaitingSaslResponses -= 1;
      this.pending.push({ multiLine: false });
      return;
    }
    const [verbRaw = '', ...args] = line.split(' ');
    const verb = verbRaw.toUpperCase();
    if (verb === 'RETR' || verb === 'TOP') this.stats.fetchCommands += 1;
    const multiLine = verb === 'RETR' || verb === 'TOP' || verb === 'CAPA'
      || ((verb === 'UIDL' || verb === 'LIST' || verb === 'AUTH') && args.length === 0);
    this.pending.push({ multiLine });
  }

  private statusLine(line: string): void {
    const head = this.pending.shift();
    if (!head) {
      this.stats.unexpectedReplies += 1;
      return;
    }
    if (line.startsWith('+ ') || line === '+\r\n') {
      // A SASL continuation answers the AUTH (or previous response) and asks for one more line.
      this.awaitingSaslResponses += 1;
      this.stats.repliesCompleted += 1;
      return;
    }
    if (head.multiLine && line.startsWith('+OK')) {
      this.inBody = true;
      this.bodyTail = Buffer.from('\r\n', 'latin1'); // the status line's CRLF may start the terminator
      return;
    }
    this.stats.repliesCompleted += 1;
  }

  /** Scans body bytes from `offset` for CRLF.CRLF; returns where scanning stopped. */
  private scanBody(chunk: Buffer, offset: number): number {
    const tailLength = this.bodyTail.length;
    const window = Buffer.concat([this.bodyTail, chunk.subarray(offset)]);
    const at = window.indexOf(CRLF_DOT_CRLF);
    if (at === -1) {
      this.bodyTail = Buffer.from(window.subarray(Math.max(0, window.length - (CRLF_DOT_CRLF.length - 1))));
      return chunk.length;
    }
    this.inBody = false;
    this.bodyTail = Buffer.alloc(0);
    this.stats.repliesCompleted += 1;
    return offset + (at + CRLF_DOT_CRLF.length - tailLength);
  }
}
