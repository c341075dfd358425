/**
 * The TRANSACTION-state commands of an authenticated session (RFC 1939 section 5), including
 * the pipelined bulk fetch and bulk DELE.
 */
import type { Readable } from 'node:stream';
import type { Pop3Body } from './body.js';
import { parseCapabilities, unknownCapabilities, type Pop3Capabilities } from './capabilities.js';
import type { Connection } from './connection.js';
import { BodyDecoder, ListingDecoder, StatusDecoder, type BodyReply } from './decoders.js';
import { Pop3Error } from './errors.js';
import { escapeServerText } from './escape.js';
import type { Pop3Limits } from './limits.js';
import { replyError, type StatusReply } from './response.js';
import type { Pop3FetchedMessage, Pop3FetchRequest, Pop3Session, Pop3SessionState } from './session-types.js';
import type { TlsInfo } from './transport.js';
import { parseListLine, parseStat, parseUidlLine, validateUidlListing, type ListEntry, type UidlEntry, type UidlListing } from './uid.js';

/** Runs CAPA on `connection`; a server without CAPA (RFC 1939 only) yields unknown capabilities. */
export async function readCapabilities(connection: Connection, limits: Pop3Limits): Promise<Pop3Capabilities> {
  const reply = await connection.send('CAPA', new ListingDecoder('CAPA', limits.maxLineLength, limits.maxCapaLines)).result;
  return reply.status.kind === 'ok' ? parseCapabilities(reply.lines) : unknownCapabilities();
}

/** Facts established during the handshake. */
export interface SessionFacts {
  capabilities: Pop3Capabilities;
  tlsInfo: TlsInfo | undefined;
  authMethod: string;
  greeting: string;
}

/** An authenticated session. Created by connectPop3. */
export class Pop3Client implements Pop3Session {
  capabilities: Pop3Capabilities;
  readonly tlsInfo: TlsInfo | undefined;
  readonly authMethod: string;
  readonly greeting: string;
  private phase: Pop3SessionState = 'transaction';

  constructor(private readonly connection: Connection, private readonly limits: Pop3Limits, facts: SessionFacts) {
    this.capabilities = facts.capabilities;
    this.tlsInfo = facts.tlsInfo;
    this.authMethod = facts.authMethod;
    this.greeting = facts.greeting;
    connection.pipeline.setPipelining(facts.capabilities.pipelining);
  }

  get state(): Pop3SessionState {
    return this.connection.isClosed ? 'closed' : this.phase;
  }

  async capa(): Promise<Pop3Capabilities> {
    this.capabilities = await readCapabilities(this.connection, this.limits);
    this.connection.pipeline.setPipelining(this.capabilities.pipelining);
    return this.capabilities;
  }

  async stat(): Promise<{ count: number; size: number }> {
    return parseStat((await this.simple('STAT')).text);
  }

  async list(): Promise<ListEntry[]> {
    return (await this.listing('LIST')).map(parseListLine);
  }

  async listOne(msg: number): Promise<ListEntry> {
    return parseListLine((await this.simple(`LIST ${checkMsg(msg)}`)).text);
  }

  async uidl(): Promise<UidlListing> {
    return validateUidlListing(await this.listing('UIDL'));
  }

  async uidlOne(msg: number): Promise<UidlEntry> {
    const entry = parseUidlLine((await this.simple(`UIDL ${checkMsg(msg)}`)).text);
    if ('reason' in entry) {
      throw new Pop3Error('POP3_INVALID_UID', `message ${entry.msg} has an invalid unique-id`, { serverText: entry.uidEscaped });
    }
    return entry;
  }

  async retr(msg: number): Promise<Readable> {
    return (await this.body(`RETR ${checkMsg(msg)}`)).toReadable();
  }

  async top(msg: number, lines: number): Promise<Readable> {
    if (!Number.isSafeInteger(lines) || lines < 0) throw new RangeError('TOP line count must be a non-negative integer');
    return (await this.body(`TOP ${checkMsg(msg)} ${lines}`)).toReadable();
  }

  async *fetch(requests: Iterable<Pop3FetchRequest>): AsyncIterable<Pop3FetchedMessage> {
    // Commands are created lazily, twice the window ahead of the consumer: the pipeline keeps
    // `pipelineWindow` in flight and refills in batches, and memory stays flat however many
    // messages are requested.
    const source = requests[Symbol.iterator]();
    const ahead: Array<{ request: Pop3FetchRequest; line: string; decoder: BodyDecoder }> = [];
    const aheadLimit = this.limits.pipelineWindow * 2;
    let exhausted = false;
    const topUp = (): void => {
      while (!exhausted && ahead.length < aheadLimit) {
        const next = source.next();
        if (next.done === true) {
          exhausted = true;
          return;
        }
        const request = next.value;
        const line = request.kind === 'full' ? `RETR ${checkMsg(request.msg)}` : `TOP ${checkMsg(request.msg)} 0`;
        ahead.push({ request, line, decoder: this.connection.send(line, this.bodyDecoder(line)) });
      }
    };
    try {
      for (;;) {
        topUp();
        const item = ahead[0];
        if (item === undefined) return;
        const reply = await item.decoder.result;
        const body = bodyOf(reply, item.line);
        yield { msg: item.request.msg, kind: item.request.kind, body };
        // The consumer asked for the next message: whatever it left of this body is dropped.
        if (!body.readableEnded) item.decoder.discard();
        if (!item.decoder.done) await item.decoder.completed;
        ahead.shift();
      }
    } finally {
      // Stopped early (break, error): unsent commands are withdrawn, sent ones drained, so the
      // session stays usable for DELE/QUIT.
      for (const item of ahead) {
        if (!this.connection.pipeline.cancel(item.decoder)) item.decoder.discard();
      }
    }
  }

  async dele(msg: number): Promise<void> {
    await this.simple(`DELE ${checkMsg(msg)}`);
  }

  async deleMany(msgs: Iterable<number>): Promise<void> {
    const decoders = [...msgs].map((msg) => {
      const line = `DELE ${checkMsg(msg)}`;
      return this.connection.send(line, new StatusDecoder(line, this.limits.maxLineLength));
    });
    const replies = await Promise.all(decoders.map((d) => d.result));
    replies.forEach((reply, i) => {
      if (reply.kind !== 'ok') throw replyError(reply, (decoders[i] as StatusDecoder).command, 'POP3_COMMAND_FAILED');
    });
  }

  async rset(): Promise<void> {
    await this.simple('RSET');
  }

  async noop(): Promise<void> {
    await this.simple('NOOP');
  }

  async quit(): Promise<void> {
    if (this.connection.isClosed) throw this.connection.error ?? new Pop3Error('POP3_CONNECTION_CLOSED', 'session already closed');
    this.phase = 'update';
    // RFC 1939 section 6: deletions are committed in the UPDATE state, entered by QUIT; -ERR
    // means some could not be removed.
    const reply = await this.connection.send('QUIT', new StatusDecoder('QUIT', this.limits.maxLineLength)).result;
    this.connection.close();
    if (reply.kind !== 'ok') throw replyError(reply, 'QUIT', 'POP3_COMMAND_FAILED', 'server failed to commit deletions at QUIT');
  }

  abort(reason?: unknown): void {
    this.connection.fail(new Pop3Error('POP3_ABORTED', 'session aborted', { cause: reason }));
  }

  private async simple(line: string): Promise<StatusReply> {
    const reply = await this.connection.send(line, new StatusDecoder(line, this.limits.maxLineLength)).result;
    if (reply.kind !== 'ok') throw replyError(reply, line, 'POP3_COMMAND_FAILED');
    return reply;
  }

  private async listing(line: 'LIST' | 'UIDL'): Promise<string[]> {
    const reply = await this.connection.send(line, new ListingDecoder(line, this.limits.maxLineLength, this.limits.maxListingEntries)).result;
    if (reply.status.kind !== 'ok') {
      throw replyError(reply.status, line, line === 'UIDL' ? 'POP3_UNSUPPORTED' : 'POP3_COMMAND_FAILED');
    }
    return reply.lines;
  }

  private async body(line: string): Promise<Pop3Body> {
    const decoder = this.connection.send(line, this.bodyDecoder(line));
    return bodyOf(await decoder.result, line);
  }

  private bodyDecoder(line: string): BodyDecoder {
    return new BodyDecoder(line, {
      maxLineLength: this.limits.maxLineLength,
      maxBodyLineLength: this.limits.maxBodyLineLength,
      maxMessageSize: this.limits.maxMessageSize,
      highWaterMark: this.limits.bodyHighWaterMark,
    }, this.connection);
  }
}

function bodyOf(reply: BodyReply, line: string): Pop3Body {
  if (reply.status.kind !== 'ok' || reply.body === undefined) {
    throw replyError(reply.status, line, 'POP3_COMMAND_FAILED');
  }
  return reply.body;
}

function checkMsg(msg: number): number {
  if (!Number.isSafeInteger(msg) || msg < 1) {
    throw new Pop3Error('POP3_PROTOCOL', `invalid message number ${escapeServerText(String(msg), 20)}`);
  }
  return msg;
}
