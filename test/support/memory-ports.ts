/**
 * In-memory implementations of every sync port, each able to fail on the Nth call.
 *
 * Three failure modes, so the crash matrix can tell them apart:
 * - 'error': the call throws, everything else keeps working (a -ERR, an S3 500).
 * - 'drop':  a session call throws ECONNRESET and the session is dead (no QUIT possible).
 * - 'kill':  the process dies: the call throws and from then on EVERY port call throws
 *            without effect (no QUIT, no release, no save). The world survives for the rerun.
 * 'publish-entry' refuses one entry of a batch (ok: false), the others are delivered.
 * Points ending in '-after' fail after the effect happened (object durable, events delivered,
 * state written, deletions committed) but before the caller hears about it.
 */
import { createHash } from 'node:crypto';
import { IngestError } from '../../lambda/shared/errors.js';
import type {
  Clock,
  EventPublisher,
  FetchedMessage,
  FetchRequest,
  Lease,
  LeaseStore,
  ListedMessage,
  LoadedState,
  MailboxCapabilities,
  MailboxSession,
  MailSource,
  MessageStore,
  OutgoingEvent,
  PublishResult,
  RejectedListing,
  StateStore,
  StateVersion,
  StoreRequest,
  StoreResult,
} from '../../lambda/sync/ports.js';
import type { PollDependencies } from '../../lambda/sync/types.js';

/** Every place a memory port can be told to fail. */
export type FaultPoint =
  | 'lease'
  | 'open'
  | 'list'
  | 'fetch'
  | 'body'
  | 'store'
  | 'store-after'
  | 'publish'
  | 'publish-after'
  | 'publish-entry'
  | 'state-load'
  | 'state-save'
  | 'state-save-after'
  | 'dele'
  | 'quit'
  | 'quit-after';

/** How a planned fault behaves. */
export type FaultMode = 'error' | 'drop' | 'kill';

/** Thrown by every port once the simulated process was killed. */
export class KilledError extends Error {
  constructor() {
    super('process killed (simulated)');
  }
}

/** Counts calls per point and fires planned faults. Replace it (world.faults = new Faults()) to rerun clean. */
export class Faults {
  killed = false;
  readonly calls = new Map<FaultPoint, number>();
  private readonly plans = new Map<FaultPoint, { n: number; mode: FaultMode }>();

  /** Fail the `n`th (1-based) call at `point`. */
  failOn(point: FaultPoint, n: number, mode: FaultMode = 'error'): this {
    this.plans.set(point, { n, mode });
    return this;
  }

  /** Called by ports before/after an effect; throws when a fault fires or after a kill. */
  hit(point: FaultPoint, onDrop?: () => void): void {
    if (this.killed) throw new KilledError();
    const count = (this.calls.get(point) ?? 0) + 1;
    this.calls.set(point, count);
    const plan = this.plans.get(point);
    if (!plan || plan.n !== count) return;
    if (plan.mode === 'kill') {
      this.killed = true;
      onDrop?.();
      throw new KilledError();
    }
    if (plan.mode === 'drop') {
      onDrop?.();
      throw Object.assign(new Error(`connection dropped at ${point}`), { code: 'ECONNRESET' });
    }
    throw new IngestError('TEST_FAULT', 'transient', `injected failure at ${point} #${count}`);
  }

  /** True once `point` fired its planned fault (the poll really reached it). */
  fired(point: FaultPoint): boolean {
    const plan = this.plans.get(point);
    return plan !== undefined && (this.calls.get(point) ?? 0) >= plan.n;
  }
}

/** A controllable clock. `step` advances it on every now() call (for deadlines). */
export class FakeClock implements Clock {
  step = 0;
  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): Date {
    const d = new Date(this.current);
    this.current += this.step;
    return d;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

// ---------------------------------------------------------------------------------------------
// Mail source

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
  /** Called with the UIDs about to be removed at a committing QUIT (invariant checks). */
  onCommit?: (uids: string[]) => void;
  sessions = 0;

  /** Adds messages built from their text (CRLF line ends). */
  add(...messages: Array<{ uid: string; text: string; listSize?: number }>): this {
    for (const m of messages) {
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

  async listMessages(): Promise<{ messages: ListedMessage[]; rejected: RejectedListing[] }> {
    this.step('list');
    this.mailbox.log.push('UIDL', 'LIST');
    if (this.mailbox.noUidl) throw new IngestError('POP3_UNSUPPORTED', 'permanent', 'server does not support UIDL');
    const messages = this.snapshot.map((m, i) => ({ msg: i + 1, uid: m.uid, size: m.listSize ?? m.body.length }));
    return { messages, rejected: [...this.mailbox.rejected] };
  }

  async *fetch(requests: readonly FetchRequest[]): AsyncIterable<FetchedMessage> {
    for (const request of requests) {
      if (this.bodyOpen) throw new Error('contract: previous body not consumed before the next message was pulled');
      this.step('fetch');
      const message = this.snapshot[request.msg - 1];
      if (!message) throw new IngestError('TEST_NO_SUCH_MESSAGE', 'permanent', `no message ${request.msg}`);
      this.mailbox.log.push(request.kind === 'full' ? `RETR ${request.msg}` : `TOP ${request.msg} 0`);
      if (request.kind === 'full') this.retrieved.add(request.msg);
      const bytes = request.kind === 'full' ? message.body : headerPart(message.body);
      this.bodyOpen = true;
      yield { msg: request.msg, kind: request.kind, body: this.body(bytes) };
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

function headerPart(body: Uint8Array): Uint8Array {
  const text = Buffer.from(body).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return body;
  const blank = /\r?\n\r?\n/.exec(text.slice(end));
  return body.slice(0, end + (blank?.[0].length ?? 0));
}

// ---------------------------------------------------------------------------------------------
// Store, publisher, state, lease

/** One stored object. */
export interface StoredEntry {
  body: Uint8Array;
  uidHash: string;
  kind: 'full' | 'headers';
  sha256: string;
}

/** Conditional-create object store. */
export class MemoryStore implements MessageStore {
  readonly objects = new Map<string, StoredEntry>();
  /** Number of put() calls that created an object. */
  creates = 0;
  /** Answer 'already-stored' without reading the body when the key exists (as a HEAD-first store would). */
  skipBodyWhenExists = false;

  constructor(private readonly world: { faults: Faults }) {}

  async put(request: StoreRequest): Promise<StoreResult> {
    if (this.world.faults.killed) throw new KilledError();
    const existing = this.objects.get(request.key);
    if (existing && this.skipBodyWhenExists) {
      return { status: 'already-stored', location: { bucket: 'memory', key: request.key }, size: existing.body.length, sha256: existing.sha256 };
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of request.body) chunks.push(chunk);
    const body = new Uint8Array(Buffer.concat(chunks));
    const sha256 = createHash('sha256').update(body).digest('hex');
    this.world.faults.hit('store');
    let status: StoreResult['status'] = 'already-stored';
    if (!this.objects.has(request.key)) {
      this.objects.set(request.key, { body, uidHash: request.uidHash, kind: request.kind, sha256 });
      this.creates += 1;
      status = 'stored';
    }
    this.world.faults.hit('store-after');
    return { status, location: { bucket: 'memory', key: request.key }, size: body.length, sha256 };
  }
}

/** Publisher that records every delivered event (duplicates included). */
export class MemoryPublisher implements EventPublisher {
  readonly delivered: OutgoingEvent[] = [];
  /** Entries for which this returns true are not acknowledged (ok: false) and not delivered. */
  reject: (event: OutgoingEvent) => boolean = () => false;
  calls = 0;

  constructor(private readonly world: { faults: Faults }) {}

  async publish(events: readonly OutgoingEvent[]): Promise<PublishResult[]> {
    this.world.faults.hit('publish');
    this.calls += 1;
    const results = events.map((event) => {
      if (this.reject(event)) return { id: event.id, ok: false, error: 'rejected (test)' };
      try {
        // One entry refused (PutEvents FailedEntryCount), the rest of the batch delivered.
        this.world.faults.hit('publish-entry');
      } catch (error) {
        if (error instanceof KilledError) throw error;
        return { id: event.id, ok: false, error: 'entry failed (test)' };
      }
      this.delivered.push(structuredClone(event));
      return { id: event.id, ok: true };
    });
    this.world.faults.hit('publish-after');
    return results;
  }

  /** Delivered events of one detail type. */
  ofType(detailType: string): OutgoingEvent[] {
    return this.delivered.filter((e) => e.detailType === detailType);
  }
}

/** Compare-and-swap state store. */
export class MemoryStateStore implements StateStore {
  readonly docs = new Map<string, { body: Uint8Array; version: number }>();
  writes = 0;

  constructor(private readonly world: { faults: Faults }) {}

  async load(mailboxId: string): Promise<LoadedState | null> {
    this.world.faults.hit('state-load');
    const doc = this.docs.get(mailboxId);
    return doc ? { body: doc.body.slice(), version: String(doc.version) } : null;
  }

  async save(mailboxId: string, body: Uint8Array, expected: StateVersion | null): Promise<StateVersion> {
    this.world.faults.hit('state-save');
    const current = this.docs.get(mailboxId);
    if ((current ? String(current.version) : null) !== expected) {
      throw new IngestError('STATE_CONFLICT', 'throttled', `state of ${mailboxId} changed (expected ${expected})`);
    }
    const version = (current?.version ?? 0) + 1;
    this.docs.set(mailboxId, { body: body.slice(), version });
    this.writes += 1;
    this.world.faults.hit('state-save-after');
    return String(version);
  }

  /** The stored document as JSON (tests). */
  json(mailboxId: string): { uids: Record<string, { status: string; kind: string }>; epoch: number } | undefined {
    const doc = this.docs.get(mailboxId);
    return doc ? JSON.parse(new TextDecoder().decode(doc.body)) : undefined;
  }
}

/** Lease store with expiry on the injected clock. */
export class MemoryLeaseStore implements LeaseStore {
  readonly held = new Map<string, { owner: string; expiresAt: number }>();

  constructor(
    private readonly world: { faults: Faults },
    private readonly clock: Clock,
  ) {}

  async acquire(mailboxId: string, owner: string, ttlMs: number): Promise<Lease | null> {
    this.world.faults.hit('lease');
    const now = this.clock.now().getTime();
    const current = this.held.get(mailboxId);
    if (current && current.expiresAt > now && current.owner !== owner) return null;
    const expiresAt = now + ttlMs;
    this.held.set(mailboxId, { owner, expiresAt });
    return {
      owner,
      expiresAt: new Date(expiresAt),
      release: async () => {
        if (this.world.faults.killed) throw new KilledError();
        if (this.held.get(mailboxId)?.owner === owner) this.held.delete(mailboxId);
      },
    };
  }
}

/** Every memory port around one mailbox, sharing one fault plan and clock. */
export class MemoryWorld {
  faults = new Faults();
  readonly clock = new FakeClock();
  readonly mailbox = new MemoryMailbox();
  readonly source = new MemoryMailSource(this.mailbox, this);
  readonly store = new MemoryStore(this);
  readonly publisher = new MemoryPublisher(this);
  readonly state = new MemoryStateStore(this);
  readonly lease = new MemoryLeaseStore(this, this.clock);

  /** Ports for pollMailbox. */
  deps(): PollDependencies {
    return { source: this.source, store: this.store, publisher: this.publisher, state: this.state, lease: this.lease, clock: this.clock };
  }

  /** Starts over with no faults (after a simulated crash), the lease expired. */
  recover(): void {
    this.faults = new Faults();
    this.clock.advance(24 * 60 * 60 * 1000);
  }
}

/** A small RFC 5322 message. */
export function mailText(n: number, extra = ''): string {
  return (
    `Message-ID: <m${n}@example.test>\r\nFrom: Sender ${n} <s${n}@example.test>\r\nTo: rcpt@example.test\r\n` +
    `Subject: message ${n}\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n${extra}\r\nBody of message ${n}.\r\n.. dot line\r\n`
  );
}
