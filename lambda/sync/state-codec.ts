/**
 * Schema 3 of the seen-state: a small JSON manifest (the compare-and-swap document) naming
 * immutable binary segments. The first segment is a base (everything at a compaction), the
 * others are deltas (what one checkpoint changed), applied in order.
 *
 * Segment layout (all integers little-endian):
 *   "P3SG" | u8 layout version (1) | 3 zero octets | u32 JSON length | JSON
 *   | removed hashes (16 x removed) | UID hashes (16 x quiet) | header hashes (16 x quiet)
 *   | u32 length | deflate-raw(small columns)
 * JSON: { removed, quiet, firstSeenBase, loud: [[uid, record], ...] }. The two hash columns
 * are random and stored raw, so a loaded segment's columns are views of the bytes read (no
 * copy); the small columns (first-seen seconds after firstSeenBase, LIST size, stored size as
 * a difference from it, flags, epoch) are varints, which deflate shrinks to a few octets. A
 * load checks them all but keeps only the flags; the rest is decoded when first read.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SyncError } from './errors.js';
import { HASH_BYTES, NO_SIZE, QuietRun, compareHash, type SmallColumns } from './quiet-run.js';
import type { EntryChanges } from './seen-entries.js';
import { STATE_FORMAT, STATE_SCHEMA_VERSION, checkedEntry, type SeenEntry, type SeenState } from './state.js';

const MAGIC = [0x50, 0x33, 0x53, 0x47]; // "P3SG"
const LAYOUT = 1;
/** Largest inflated small-column block accepted: 21 octets per quiet entry at most. */
const SMALL_BYTES_PER_ENTRY = 21;

/** A segment as the manifest names it. */
export interface SegmentRef {
  name: string;
  bytes: number;
}

/** The parsed manifest: header fields are already on the state. */
export interface Manifest {
  segments: SegmentRef[];
  entries: number;
}

/** Encodes one segment. */
export function encodeSegment(changes: EntryChanges): Uint8Array {
  const run = changes.quiet;
  let firstSeenBase = 0;
  if (run.n > 0) firstSeenBase = run.firstSeen.reduce((a, b) => Math.min(a, b), NO_SIZE);
  const header = new TextEncoder().encode(JSON.stringify({
    removed: changes.removed.length / HASH_BYTES,
    quiet: run.n,
    firstSeenBase,
    loud: changes.loud,
  }));
  const small = new VarintWriter(run.n * 8 + 16);
  for (let i = 0; i < run.n; i++) small.uint((run.firstSeen[i] as number) - firstSeenBase);
  for (let i = 0; i < run.n; i++) small.uint(((run.listSize[i] as number) + 1) % 2 ** 32);
  for (let i = 0; i < run.n; i++) {
    const size = run.size[i] as number;
    const list = run.listSize[i] as number;
    small.uint(size === NO_SIZE ? 0 : 1 + zigzag(size - (list === NO_SIZE ? 0 : list)));
  }
  for (let i = 0; i < run.n; i++) small.uint(run.flags[i] as number);
  for (let i = 0; i < run.n; i++) small.uint(run.epochs[i] as number);
  const packed = deflateRawSync(small.bytes(), { level: 1 });
  const total = 12 + header.length + changes.removed.length + 2 * HASH_BYTES * run.n + 4 + packed.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = LAYOUT;
  view.setUint32(8, header.length, true);
  let at = 12;
  out.set(header, at);
  at += header.length;
  out.set(changes.removed, at);
  at += changes.removed.length;
  out.set(run.hashes, at);
  at += run.hashes.length;
  out.set(run.headerHashes, at);
  at += run.headerHashes.length;
  view.setUint32(at, packed.length, true);
  out.set(packed, at + 4);
  return out;
}

/** Decodes and checks one segment. Throws SyncError SYNC_STATE_CORRUPT. */
export function decodeSegment(body: Uint8Array, mailboxId: string, name: string): EntryChanges {
  const corrupt = (what: string): SyncError => new SyncError('SYNC_STATE_CORRUPT', `Seen-state segment ${name} of mailbox ${mailboxId} is malformed: ${what}`);
  if (body.length < 12 || MAGIC.some((b, i) => body[i] !== b)) throw corrupt('not a segment');
  if (body[4] !== LAYOUT) throw new SyncError('SYNC_STATE_INCOMPATIBLE', `Seen-state segment ${name} of mailbox ${mailboxId} has layout ${body[4]}; this build reads ${LAYOUT}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > body.length) throw corrupt('truncated header');
  let header: { removed?: unknown; quiet?: unknown; firstSeenBase?: unknown; loud?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(12, 12 + headerLength)));
  } catch {
    throw corrupt('header is not JSON');
  }
  const removed = header.removed;
  const n = header.quiet;
  const base = header.firstSeenBase;
  if (!isCount(removed) || !isCount(n) || !isCount(base) || !Array.isArray(header.loud)) throw corrupt('header fields');
  const loud: [string, SeenEntry][] = header.loud.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') throw corrupt('loud record');
    return [pair[0], checkedEntry(pair[0], pair[1], mailboxId)];
  });
  let at = 12 + headerLength;
  const need = removed * HASH_BYTES + 2 * n * HASH_BYTES + 4;
  if (at + need > body.length) throw corrupt('truncated columns');
  const removedHashes = body.subarray(at, at + removed * HASH_BYTES);
  at += removed * HASH_BYTES;
  const hashes = body.subarray(at, at + n * HASH_BYTES);
  at += n * HASH_BYTES;
  const headerHashes = body.subarray(at, at + n * HASH_BYTES);
  at += n * HASH_BYTES;
  const packedLength = view.getUint32(at, true);
  if (at + 4 + packedLength !== body.length) throw corrupt('length mismatch');
  const packed = body.subarray(at + 4);
  const inflate = (): Uint8Array => {
    try {
      return inflateRawSync(packed, { maxOutputLength: Math.max(64, n * SMALL_BYTES_PER_ENTRY) });
    } catch {
      throw corrupt('small columns do not inflate');
    }
  };
  // Every column is checked now (a corrupt segment fails the load, not a later step of the
  // poll); only the flags are kept. The rest is decoded again when first read: an idle poll
  // never reads it (issue 15).
  const flags = new Uint8Array(n);
  readSmallColumns(inflate(), n, base, corrupt, flags, undefined);
  // Binary search needs strictly increasing hashes: an unsorted run would hide known UIDs.
  for (let i = 1; i < n; i++) {
    if (compareHash(hashes, (i - 1) * HASH_BYTES, hashes, i * HASH_BYTES) >= 0) throw corrupt('UID hashes not sorted');
  }
  const small = (): SmallColumns => {
    const columns = { firstSeen: new Uint32Array(n), listSize: new Uint32Array(n), size: new Uint32Array(n), epochs: new Uint16Array(n) };
    readSmallColumns(inflate(), n, base, corrupt, undefined, columns);
    return columns;
  };
  return { removed: removedHashes, loud, quiet: new QuietRun(n, hashes, headerHashes, flags, small) };
}

/**
 * Reads and checks the small columns of `n` entries (encodeSegment's layout), storing the flags
 * into `flags` and the other columns into `columns` when given. Throws `corrupt(...)`.
 */
function readSmallColumns(
  small: Uint8Array, n: number, base: number, corrupt: (what: string) => SyncError, flags: Uint8Array | undefined, columns: SmallColumns | undefined,
): void {
  const truncated = (): SyncError => corrupt('small columns truncated');
  const outOfRange = (): SyncError => corrupt('small column value out of range');
  const reader = new VarintReader(small, truncated);
  for (let i = 0; i < n; i++) {
    const firstSeen = base + reader.uint();
    if (!(firstSeen < NO_SIZE)) throw outOfRange();
    if (columns !== undefined) columns.firstSeen[i] = firstSeen;
  }
  // The stored size is coded against the LIST size: a second reader walks that column again.
  const lists = new VarintReader(small, truncated, reader.position);
  for (let i = 0; i < n; i++) {
    const listSize = (reader.uint() + NO_SIZE) % 2 ** 32;
    if (columns !== undefined) columns.listSize[i] = listSize;
  }
  for (let i = 0; i < n; i++) {
    const code = reader.uint();
    const listSize = (lists.uint() + NO_SIZE) % 2 ** 32;
    const value = code === 0 ? NO_SIZE : (listSize === NO_SIZE ? 0 : listSize) + unzigzag(code - 1);
    if (!(value >= 0 && value <= NO_SIZE)) throw outOfRange();
    if (columns !== undefined) columns.size[i] = value;
  }
  for (let i = 0; i < n; i++) {
    const f = reader.uint();
    if (!validFlags(f)) throw outOfRange();
    if (flags !== undefined) flags[i] = f;
  }
  for (let i = 0; i < n; i++) {
    const epoch = reader.uint();
    if (!(epoch >= 1 && epoch <= 0xffff)) throw outOfRange();
    if (columns !== undefined) columns.epochs[i] = epoch;
  }
  if (!reader.done) throw corrupt('small columns too long');
}

/** Encodes the manifest of `state` naming `segments`. */
export function encodeManifest(state: SeenState, segments: readonly SegmentRef[], now: Date): Uint8Array {
  const doc = {
    format: STATE_FORMAT,
    schemaVersion: STATE_SCHEMA_VERSION,
    mailboxId: state.mailboxId,
    epoch: state.epoch,
    epochSince: state.epochSince,
    updatedAt: now.toISOString(),
    ...(state.identity === undefined ? {} : { identity: state.identity }),
    ...(Object.keys(state.meta).length === 0 ? {} : { meta: state.meta }),
    ...(state.entries.keyPrefix === undefined ? {} : { keyPrefix: state.entries.keyPrefix }),
    entries: state.entries.size,
    segments,
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

const SEGMENT_NAME = /^[a-z0-9-]{1,80}$/;

/** The schema 3 fields of a checked document (state.ts parseDocumentJson). Throws SYNC_STATE_CORRUPT. */
export function manifestOf(doc: Record<string, unknown>, mailboxId: string): Manifest & { keyPrefix?: string } {
  const corrupt = (what: string): SyncError => new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} is malformed: ${what}`);
  const segments = doc['segments'];
  if (!Array.isArray(segments) || segments.length > 1000) throw corrupt('segments: not a list');
  const refs: SegmentRef[] = segments.map((s: unknown) => {
    const ref = s as { name?: unknown; bytes?: unknown } | null;
    if (typeof ref?.name !== 'string' || !SEGMENT_NAME.test(ref.name) || !isCount(ref.bytes)) throw corrupt('segments: malformed entry');
    return { name: ref.name, bytes: ref.bytes };
  });
  const keyPrefix = doc['keyPrefix'];
  if (keyPrefix !== undefined && !(typeof keyPrefix === 'string' && keyPrefix.length <= 512)) throw corrupt('keyPrefix');
  if (!isCount(doc['entries'])) throw corrupt('entries: not a count');
  return { segments: refs, entries: doc['entries'], ...(keyPrefix === undefined ? {} : { keyPrefix }) };
}

/** True when `name` is a valid segment name (adapters use it as a file or key name). */
export function isSegmentName(name: string): boolean {
  return SEGMENT_NAME.test(name);
}

function validFlags(f: number): boolean {
  // kind (bits 0-1: full, headers, skipped, seeded), key kind (bit 2), headersWhy (bits 3-4)
  return f < 32;
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function unzigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

/** LEB128 unsigned varints (values below 2^35), into a growing buffer. */
class VarintWriter {
  private buf: Uint8Array;
  private at = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  uint(value: number): void {
    if (this.at + 6 > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2 + 16);
      next.set(this.buf.subarray(0, this.at));
      this.buf = next;
    }
    let v = value;
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.at++] = v;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

class VarintReader {
  constructor(private readonly buf: Uint8Array, private readonly truncated: () => SyncError, private at = 0) {}

  /** Offset of the next varint. */
  get position(): number {
    return this.at;
  }

  uint(): number {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 6; k++) {
      if (this.at >= this.buf.length) throw this.truncated();
      const b = this.buf[this.at++] as number;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw this.truncated();
  }

  get done(): boolean {
    return this.at === this.buf.length;
  }
}
