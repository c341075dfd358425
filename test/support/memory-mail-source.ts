/**
 * The in-memory mail source: a maildrop with capabilities and a command log, and sessions over
 * it that honour RFC 1939's UPDATE state and fail where the fault plan says.
 */
import { IngestError } from '../../lambda/shared/errors.js';
import { arrayListing } from '../../lambda/sync/listing.js';
import {
  MESSAGE_FAULT,
  type FetchedMessage,
  type FetchRequest,
  type Listing,
  type MailboxCapabilities,
  type MailboxSession,
  type MailSource,
  type RejectedListing,
} from '../../lambda/sync/ports.js';
import type { Faults, FaultPoint } from './faults.js';

/** A message on the memory server. */
export interface ServerMessage {
  uid: string;
  body: Uint8Array;
  /** Overrides LIST's size (it is only a hint). */
  listSize?: number;
}

/** The server side: the maildrop, its capabilities and a command log. */
export class MemoryMailbox {
  messages: ServerMessage[] = [];
  capabilities: MailboxCapabilities = { pipelining: true, uidl: true, top: true };
  /** Extra UIDL entries the "adapter" rejected (reported, never listed). */
  rejected: RejectedListing[] = [];
  /** Throw this from open() (e.g. an [IN-USE] IngestError). */
  openError?: Error;
  /** listMessages throws POP3_UNSUPPORTED (no UIDL). */
  noUidl = false;
  /** Octets per body chunk. */
  chunkSize = 7;
  /** Every command sent, e.g. "RETR 3", "TOP 3 0", "DELE 3", "QUIT". */
  readonly log: string[] = [];
  /** UIDs the server answers -ERR to on RETR and TOP (a message it cannot serve). */
  readonly refuse = new Set<string>();
  /** UIDs whose body breaks a limit of the source midway (MESSAGE_FAULT; the session stays usable). */
  readonly overLimit = new Set<string>();
  /** Called with the UIDs about to be removed at a committing QUIT (invariant checks). */
  onCommit?: (uids: string[]) => void;
  sessions = 0;
  /** Every UID this mailbox ever held (to read UID-hashed state records back in tests). */
  readonly everAdded = new Set<string>();

  /** Adds messages built from their text (CRLF line ends). */
  add(...messages: Array<{ uid: string; text: string; listSize?: number }>): this {
    for (const m of messages) {
      this.everAdded.add(m.uid);
      const entry: ServerMessage = { uid: m.uid, body: new TextEncoder().encode(m.text) };
      if (m.listSize !== undefined) entry.listSize = m.listSize;
      this.messages.push(entry);
    }
    return this;
  }

  /** UIDs currently on the server. */
  uids(): string[] {
    return this.messages.map((m) => m.uid);
  }
}

/** MailSource over a MemoryMailbox. */
export class MemoryMailSource implements MailSource {
  constructor(
    private readonly mailbox: MemoryMailbox,
    private readonly world: { faults: Faults },
  ) {}

  async open(): Promise<MailboxSession> {
    this.world.faults.hit('open');
    if (this.mailbox.openError) throw this.mailbox.openError;
    this.mailbox.sessions += 1;
    return new MemorySession(this.mailbox, this.world);
  }
}

class MemorySession implements MailboxSession {
  readonly capabilities: MailboxCapabilities;
  private readonly snapshot: ServerMessage[];
  private readonly pendingDeletes = new Set<number>();
  private readonly retrieved = new Set<number>();
  private dead = false;
  private bodyOpen = false;

  constructor(
    private readonly mailbox: MemoryMailbox,
    private readonly world: { faults: Faults },
  ) {
    this.capabilities = { ...mailbox.capabilities };
    this.snapshot = [...mailbox.messages];
  }

  async listMessages(): Promise<{ listing: Listing; rejected: RejectedListing[] }> {
    this.step('list');
    this.mailbox.log.push('UIDL', 'LIST');
    if (this.mailbox.noUidl) throw new IngestError('POP3_UNSUPPORTED', 'permanent', 'server does not support UIDL');
    const messages = this.snapshot.map((m, i) => ({ msg: i + 1, uid: m.uid, size: m.listSize ?? m.body.length }));
    return { listing: arrayListing(messages), rejected: [...this.mailbox.rejected] };
  }

  async *fetch(requests: Iterable<FetchRequest>): AsyncIterable<FetchedMessage> {
    for (const request of requests) {
      if (this.bodyOpen) throw new Error('contract: previous body not consumed before the next message was pulled');
      this.step('fetch');
      const message = this.snapshot[request.msg - 1];
      if (!message) throw new IngestError('TEST_NO_SUCH_MESSAGE', 'permanent', `no message ${request.msg}`);
      this.mailbox.log.push(request.kind === 'full' ? `RETR ${request.msg}` : `TOP ${request.msg} 0`);
      if (this.mailbox.refuse.has(message.uid)) {
        yield { msg: request.msg, kind: request.kind, body: this.body(new Uint8Array(0)), refused: { reason: 'server refused the message', serverText: '-ERR cannot read message' } };
        continue;
      }
      if (request.kind === 'full') this.retrieved.add(request.msg);
      const bytes = request.kind === 'full' ? message.body : headerPart(message.body);
      this.bodyOpen = true;
      const body = this.body(bytes);
      yield { msg: request.msg, kind: request.kind, body: this.mailbox.overLimit.has(message.uid) ? overLimit(body) : body };
    }
  }

  async markDeleted(msgs: readonly number[]): Promise<void> {
    for (const msg of msgs) {
      this.step('dele');
      this.mailbox.log.push(`DELE ${msg}`);
      this.pendingDeletes.add(msg);
    }
  }

  async quit(): Promise<void> {
    this.step('quit');
    this.mailbox.log.push('QUIT');
    this.commit();
    this.dead = true;
    this.world.faults.hit('quit-after');
  }

  abort(): void {
    this.dead = true;
    this.pendingDeletes.clear();
  }

  private async *body(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < bytes.length; i += this.mailbox.chunkSize) {
        this.step('body');
        yield bytes.slice(i, i + this.mailbox.chunkSize);
      }
    } finally {
      this.bodyOpen = false;
    }
  }

  /** RFC 1939 section 6: UPDATE state removes the marked messages (and, with EXPIRE 0, the retrieved ones). */
  private commit(): void {
    const doomed = new Set(this.pendingDeletes);
    if (this.capabilities.expire === 0) for (const msg of this.retrieved) doomed.add(msg);
    const uids = [...doomed].map((msg) => this.snapshot[msg - 1]?.uid).filter((u): u is string => u !== undefined);
    this.mailbox.onCommit?.(uids);
    this.mailbox.messages = this.mailbox.messages.filter((m) => !uids.includes(m.uid));
  }

  private step(point: FaultPoint): void {
    if (this.dead) throw Object.assign(new Error('session is closed'), { code: 'ERR_SOCKET_CLOSED' });
    this.world.faults.hit(point, () => this.abort());
  }
}

/** A body that breaks the source's size cap after its first chunk (the source discards the rest). */
async function* overLimit(body: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    yield chunk;
    // Drain the rest as the engine does, so the session stays in step, then fail this message.
    for await (const _rest of body) { /* discarded */ }
    throw new IngestError(MESSAGE_FAULT, 'permanent', 'message larger than the hard cap');
  }
}

function headerPart(body: Uint8Array): Uint8Array {
  const text = Buffer.from(body).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return body;
  const blank = /\r?\n\r?\n/.exec(text.slice(end));
  return body.slice(0, end + (blank?.[0].length ?? 0));
}
