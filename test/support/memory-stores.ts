/**
 * In-memory store, publisher, state and lease ports, each failing where the fault plan says.
 */
import { createHash } from 'node:crypto';
import { IngestError } from '../../lambda/shared/errors.js';
import type {
  Clock,
  EventPublisher,
  Lease,
  LeaseStore,
  LoadedState,
  MessageStore,
  OutgoingEvent,
  ParsedObjectStore,
  PublishResult,
  StateStore,
  StateVersion,
  StoreRequest,
  StoreResult,
} from '../../lambda/sync/ports.js';
import { parsedObjectMetadata, type ParsedObject, type ParsedObjectMetadata } from '../../lambda/parse/index.js';
import { KilledError, type Faults } from './faults.js';
import { viewState, type StateView } from './state-view.js';
import { isSegmentName } from '../../lambda/sync/state-codec.js';

/** One stored object. */
export interface StoredEntry {
  body: Uint8Array;
  uidHash: string;
  kind: 'full' | 'headers';
  sha256: string;
}

/**
 * Conditional-create object store with the rules every real store follows (the contract suite in
 * test/contract/ runs it beside the folder and S3): the body is always read to its end; an
 * existing key answers 'already-stored' only for the same SHA-256, else 'conflict'; objects
 * become durable only at commit().
 */
export class MemoryStore implements MessageStore {
  readonly objects = new Map<string, StoredEntry>();
  /** Keys a commit() has made durable (a crash before commit could lose the others). */
  readonly durable = new Set<string>();
  /** Number of put() calls that created an object. */
  creates = 0;
  private pending = new Set<string>();

  constructor(private readonly world: { faults: Faults }) {}

  async put(request: StoreRequest): Promise<StoreResult> {
    if (this.world.faults.killed) throw new KilledError();
    const chunks: Uint8Array[] = [];
    for await (const chunk of request.body) chunks.push(chunk);
    const body = new Uint8Array(Buffer.concat(chunks));
    // The folder store writes `bytes` and never reads `body`: the core must give the same octets.
    if (request.bytes !== undefined && !Buffer.from(request.bytes).equals(body)) throw new Error(`StoreRequest.bytes of ${request.key} differ from its body`);
    const sha256 = createHash('sha256').update(body).digest('hex');
    this.world.faults.hit('store');
    // Decided after the body is read, as S3 decides when the upload completes.
    const existing = this.objects.get(request.key);
    let status: StoreResult['status'];
    if (existing === undefined) {
      this.objects.set(request.key, { body, uidHash: request.uidHash, kind: request.kind, sha256 });
      this.creates += 1;
      status = 'stored';
    } else {
      status = existing.sha256 === sha256 ? 'already-stored' : 'conflict';
    }
    if (status !== 'conflict') this.pending.add(request.key);
    this.world.faults.hit('store-after');
    return { status, location: { bucket: 'memory', key: request.key }, size: body.length, sha256 };
  }

  async commit(): Promise<void> {
    if (this.world.faults.killed) throw new KilledError();
    const keys = this.pending;
    this.pending = new Set();
    for (const key of keys) this.durable.add(key);
  }
}

/** One parsed object as stored: its bytes and the metadata an adapter would keep. */
export interface ParsedEntry {
  body: Uint8Array;
  sha256: string;
  meta: ParsedObjectMetadata;
}

/**
 * Parsed objects beside a MemoryStore's raw messages, with the contract of the folder and S3
 * adapters (test/contract/parsed-store.contract.test.ts): create-once by key, the body read to its
 * end, 'already-stored' only for the same SHA-256; readMessage streams a raw object back.
 */
export class MemoryParsedStore implements ParsedObjectStore {
  readonly objects = new Map<string, ParsedEntry>();

  constructor(private readonly world: { faults: Faults }, private readonly raw: MemoryStore) {}

  async put(object: ParsedObject): Promise<{ status: 'stored' | 'already-stored' | 'conflict' }> {
    if (this.world.faults.killed) throw new KilledError();
    const chunks: Uint8Array[] = [];
    for await (const chunk of object.body) chunks.push(Uint8Array.from(chunk));
    const body = new Uint8Array(Buffer.concat(chunks));
    const sha256 = createHash('sha256').update(body).digest('hex');
    this.world.faults.hit('parsed-put');
    if (sha256 !== object.sha256 || body.length !== object.size) throw new Error(`parsed object ${object.key}: body does not match its size/sha256`);
    const existing = this.objects.get(object.key);
    if (existing) return { status: existing.sha256 === sha256 ? 'already-stored' : 'conflict' };
    const { body: _body, ...described } = object;
    this.objects.set(object.key, { body, sha256, meta: parsedObjectMetadata(described) });
    return { status: 'stored' };
  }

  async *readMessage(key: string): AsyncIterable<Uint8Array> {
    const object = this.raw.objects.get(key);
    if (!object) throw new Error(`no raw message under ${key}`);
    for (let offset = 0; offset < object.body.length; offset += 64 * 1024) yield object.body.subarray(offset, offset + 64 * 1024);
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
      // As EventBridge and the JSON-lines file: a detail that is not JSON is never delivered.
      if (!serialisable(event.detail)) return { id: event.id, ok: false, error: 'detail is not serialisable' };
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

function serialisable(detail: unknown): boolean {
  try {
    return typeof JSON.stringify(detail) === 'string';
  } catch {
    return false;
  }
}

/**
 * Compare-and-swap state store: the manifest with a version, segments create-only (the rules of
 * test/contract/state-store.contract.test.ts, which runs it beside the file and S3 stores).
 */
export class MemoryStateStore implements StateStore {
  readonly docs = new Map<string, { body: Uint8Array; version: number }>();
  readonly segments = new Map<string, Uint8Array>();
  /** Successful manifest saves. */
  writes = 0;
  /** load() calls (a GetObject each with S3). */
  loads = 0;
  /** Octets of every successful save and segment: what a checkpoint policy costs. */
  bytesWritten = 0;
  /** Octets of every load and segment read. */
  bytesRead = 0;

  constructor(private readonly world: { faults: Faults; mailbox?: { everAdded: ReadonlySet<string>; uids(): string[] } }) {}

  async load(mailboxId: string): Promise<LoadedState | null> {
    this.world.faults.hit('state-load');
    this.loads += 1;
    const doc = this.docs.get(mailboxId);
    this.bytesRead += doc?.body.length ?? 0;
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
    this.bytesWritten += body.length;
    this.world.faults.hit('state-save-after');
    return String(version);
  }

  async putSegment(mailboxId: string, name: string, body: Uint8Array): Promise<void> {
    this.world.faults.hit('state-segment-put');
    if (!isSegmentName(name)) throw new IngestError('STATE_FAILED', 'permanent', 'invalid state segment name');
    const key = `${mailboxId}/${name}`;
    if (this.segments.has(key)) throw new IngestError('STATE_FAILED', 'permanent', `segment ${key} exists`);
    this.segments.set(key, body.slice());
    this.bytesWritten += body.length;
    this.world.faults.hit('state-segment-put-after');
  }

  async getSegment(mailboxId: string, name: string): Promise<Uint8Array | null> {
    this.world.faults.hit('state-segment-get');
    const body = this.segments.get(`${mailboxId}/${name}`);
    this.bytesRead += body?.length ?? 0;
    return body ? body.slice() : null;
  }

  async deleteSegments(mailboxId: string, names: readonly string[]): Promise<void> {
    this.world.faults.hit('state-segment-delete');
    for (const name of names) this.segments.delete(`${mailboxId}/${name}`);
  }

  /** Octets stored for a mailbox now: its manifest and every segment. */
  storedBytes(mailboxId: string): number {
    let n = this.docs.get(mailboxId)?.body.length ?? 0;
    for (const [key, body] of this.segments) if (key.startsWith(`${mailboxId}/`)) n += body.length;
    return n;
  }

  /** The stored state as JSON-like records of the UIDs the world's mailbox ever held (tests). */
  json(mailboxId: string, uids: Iterable<string> = [...(this.world.mailbox?.everAdded ?? []), ...(this.world.mailbox?.uids() ?? [])]): StateView | undefined {
    const doc = this.docs.get(mailboxId);
    return doc ? viewState(mailboxId, doc.body, (name) => this.segments.get(`${mailboxId}/${name}`), uids) : undefined;
  }
}

/**
 * Lease store with expiry on the injected clock, with the adapters' semantics
 * (test/contract/lease-store.contract.test.ts): a live lease is refused to everyone, its own
 * owner name included; renew and release act only on the holder's own token; a renew after
 * expiry or after release answers false.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly held = new Map<string, { owner: string; expiresAt: number; token: number }>();
  /** acquire() calls (a PutObject, and a DeleteObject at release, each with S3). */
  acquires = 0;
  private tokens = 0;

  constructor(
    private readonly world: { faults: Faults },
    private readonly clock: Clock,
  ) {}

  async acquire(mailboxId: string, owner: string, ttlMs: number): Promise<Lease | null> {
    this.world.faults.hit('lease');
    this.acquires += 1;
    checkTtl(ttlMs);
    const now = this.clock.now().getTime();
    const current = this.held.get(mailboxId);
    if (current && current.expiresAt > now) return null;
    this.tokens += 1;
    const token = this.tokens;
    this.held.set(mailboxId, { owner, expiresAt: now + ttlMs, token });
    let expiresAt = now + ttlMs;
    let lost = false;
    let released = false;
    return {
      owner,
      get expiresAt(): Date {
        return new Date(expiresAt);
      },
      renew: async (renewTtlMs: number): Promise<boolean> => {
        this.world.faults.hit('lease-renew');
        checkTtl(renewTtlMs);
        if (lost || released) return false;
        const held = this.held.get(mailboxId);
        const at = this.clock.now().getTime();
        if (held?.token !== token || held.expiresAt <= at) {
          lost = true;
          return false;
        }
        held.expiresAt = at + renewTtlMs;
        expiresAt = held.expiresAt;
        return true;
      },
      release: async (): Promise<void> => {
        if (this.world.faults.killed) throw new KilledError();
        if (released) return;
        released = true;
        if (this.held.get(mailboxId)?.token === token) this.held.delete(mailboxId);
      },
    };
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new IngestError('INVALID_CONFIG', 'permanent', 'lease ttlMs must be positive');
}
