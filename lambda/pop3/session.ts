/**
 * The TRANSACTION-state commands of an authenticated session (RFC 1939 section 5), including
 * the pipelined bulk fetch and bulk DELE.
 */
import type { Readable } from 'node:stream';
import { parseCapabilities, unknownCapabilities, type Pop3Capabilities } from './capabilities.js';
import type { Connection } from './connection.js';
import { Pop3Body } from './body.js';
import { BodyDecoder, LineCollector, ListingDecoder, StatusDecoder, type BodyLimits, type BodyReply, type ListingSink } from './decoders.js';
import { Pop3Error } from './errors.js';
import type { Pop3Limits } from './limits.js';
import { replyError, type StatusReply } from './response.js';
import type {
  Pop3FetchedMessage, Pop3FetchOptions, Pop3FetchRequest, Pop3Session, Pop3SessionState,
} from './session-types.js';
import type { TlsInfo } from './transport.js';
import { checkMsg, FetchIterator } from './fetch-iterator.js';
import { ListSizes, parseListLine, parseStat, parseUidlLine, UidlCollector, type ListEntry, type UidlEntry, type UidlListing } from './uid.js';

/** Runs CAPA on `connection`; a server without CAPA (RFC 1939 only) yields unknown capabilities. */
export async function readCapabilities(connection: Connection, limits: Pop3Limits): Promise<Pop3Capabilities> {
  const decoder = new ListingDecoder('CAPA', {
    maxLineLength: limits.maxLineLength, maxLines: limits.maxCapaLines, maxBytes: limits.maxCapaLines * limits.maxLineLength,
  }, new LineCollector());
  const reply = await connection.send('CAPA', decoder).result;
  return reply.status.kind === 'ok' ? parseCapabilities(reply.sink.lines) : unknownCapabilities();
}

/** Facts established during the handshake. */
export interface SessionFacts {
  capabilities: Pop3Capabilities;
  tlsInfo: TlsInfo | undefined;
  authMethod: string;
  greeting: string;
}

/** An authenticated session in the TRANSACTION state (RFC 1939 section 5). Created by the pre-auth session's login (open.ts). */
export class TransactionSession implements Pop3Session {
  capabilities: Pop3Capabilities;
  readonly tlsInfo: TlsInfo | undefined;
  readonly authMethod: string;
  readonly greeting: string;
  private phase: Pop3SessionState = 'transaction';
  /** Shared by every body decoder of the session (one object, not one per message). */
  private readonly bodyLimits: BodyLimits;

  constructor(private readonly connection: Connection, private readonly limits: Pop3Limits, facts: SessionFacts) {
    this.capabilities = facts.capabilities;
    this.tlsInfo = facts.tlsInfo;
    this.authMethod = facts.authMethod;
    this.greeting = facts.greeting;
    this.bodyLimits = {
      maxLineLength: limits.maxLineLength,
      maxMessageSize: limits.maxMessageSize,
      highWaterMark: limits.bodyHighWaterMark,
      framing: { maxSize: limits.maxMessageSize },
    };
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
    return (await this.listSizes()).entries();
  }

  async listSizes(): Promise<ListSizes> {
    return this.listing('LIST', new ListSizes(this.limits.maxListingEntries));
  }

  async listOne(msg: number): Promise<ListEntry> {
    return parseListLine((await this.simple(`LIST ${checkMsg(msg)}`)).text);
  }

  async uidl(): Promise<UidlListing> {
    return (await this.listing('UIDL', new UidlCollector(this.limits.maxListingEntries))).finish();
  }

  listThenUidl(take: (uid: string, msg: number, size: number | undefined) => boolean): { sizes: Promise<ListSizes>; uidl: Promise<UidlListing> } {
    const max = this.limits.maxListingEntries;
    const sizes = new ListSizes(max);
    // Replies come in command order (RFC 2449 section 6.6): LIST's is complete before UIDL's first line.
    const list = this.listing('LIST', sizes);
    const uidl = this.listing('UIDL', new UidlCollector(max, (uid, msg) => take(uid, msg, sizes.get(msg)))).then((c) => c.finish());
    return { sizes: list, uidl };
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

  fetch(requests: Iterable<Pop3FetchRequest>, options: Pop3FetchOptions = {}): AsyncIterable<Pop3FetchedMessage> {
    // Commands are created lazily, twice the window ahead of the consumer: the pipeline keeps
    // `pipelineWindow` in flight and refills in batches, and memory stays flat however many
    // messages are requested.
    const limits = options.messageFault === undefined ? this.bodyLimits : { ...this.bodyLimits, messageFault: options.messageFault };
    return new FetchIterator(requests, this.limits.pipelineWindow * 2, this.connection, (line) => new BodyDecoder(line, limits, this.connection));
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

  private async listing<S extends ListingSink>(line: 'LIST' | 'UIDL', sink: S): Promise<S> {
    const { maxLineLength, maxListingEntries: maxLines, maxListingBytes: maxBytes } = this.limits;
    const reply = await this.connection.send(line, new ListingDecoder(line, { maxLineLength, maxLines, maxBytes }, sink)).result;
    if (reply.status.kind !== 'ok') {
      throw replyError(reply.status, line, line === 'UIDL' ? 'POP3_UNSUPPORTED' : 'POP3_COMMAND_FAILED');
    }
    return reply.sink;
  }

  private async body(line: string): Promise<Pop3Body> {
    const decoder = this.connection.send(line, this.bodyDecoder(line));
    return bodyOf(await decoder.result, line);
  }

  private bodyDecoder(line: string): BodyDecoder {
    return new BodyDecoder(line, this.bodyLimits, this.connection);
  }
}

function bodyOf(reply: BodyReply, line: string): Pop3Body {
  if (reply.status.kind !== 'ok' || reply.body === undefined) {
    throw replyError(reply.status, line, 'POP3_COMMAND_FAILED');
  }
  return reply.body;
}
