/**
 * LIST and UIDL line parsers, and UID validation (RFC 1939 section 7: a unique-id is 1 to 70
 * characters in the range 0x21 to 0x7E).
 *
 * Documented outcome for bad listings: an entry with an invalid UID is left out and reported;
 * when a UID appears more than once, EVERY message carrying it is left out and reported. We
 * never guess which one is "the real one": a wrong guess would mean a lost or duplicated mail.
 *
 * UIDs longer than 70 characters (some servers send them) are invalid here: the UID is the
 * identity the sync core keeps in its state, which holds RFC 1939 UIDs only, and neither
 * truncating (two messages could collide) nor hashing (the identity changes if the server later
 * sends it differently) is safe. Such a message is reported every poll with its length and the
 * first 100 characters, and stays on the server untouched (never fetched, never deleted).
 *
 * Listings stream: UidlCollector and ListSizes take one line at a time, keep only what the
 * session needs (a valid UID, a size in a Float64Array keyed by message number), and never the
 * line itself, so a hostile listing of long lines costs no more memory than a normal one.
 */
import { Pop3Error } from './errors.js';
import { escapeServerText } from './escape.js';
import { OctetChunks } from './octet-chunks.js';

/** One LIST entry: a message number and its size hint (RFC 1939 scan listing). */
export interface ListEntry {
  msg: number;
  size: number;
}

/** One valid UIDL entry. */
export interface UidlEntry {
  msg: number;
  uid: string;
}

/** A UIDL entry we refused, with the reason. The UID is escaped for logging. */
export interface RejectedUid {
  msg: number;
  uidEscaped: string;
  reason: 'invalid-uid' | 'duplicate-uid';
}

/**
 * A whole UIDL listing after validation. The valid entries are columns (issue 15: a kept
 * mailbox lists hundreds of thousands of UIDs on every poll): `count`, `msg(i)` and `uid(i)`
 * in listing order read them without building an object per message; `entries` builds the
 * objects, for the callers that want them.
 */
export interface UidlListing {
  readonly count: number;
  /** Message number of valid entry `i` (0-based, listing order). */
  msg(i: number): number;
  /** UID of valid entry `i`, as a flat string (no slice of the line it came from). */
  uid(i: number): string;
  /** Copies the UID of valid entry `i` (one octet a character) into `target` at `offset`; returns its length. */
  writeUid(i: number, target: Uint8Array, offset: number): number;
  readonly entries: UidlEntry[];
  readonly rejected: RejectedUid[];
}

const UID_PATTERN = /^[\x21-\x7e]{1,70}$/;
const MSG_NUMBER = /^[1-9]\d{0,9}$/;
const OCTETS = /^\d{1,15}$/;

/** True when `uid` is a valid RFC 1939 unique-id. */
export function isValidUid(uid: string): boolean {
  return UID_PATTERN.test(uid);
}

/** Parses a message number; throws POP3_PROTOCOL when it is not one. */
export function parseMessageNumber(text: string, context: string): number {
  if (!MSG_NUMBER.test(text)) {
    throw new Pop3Error('POP3_PROTOCOL', `malformed message number in ${context}`, { serverText: escapeServerText(text) });
  }
  return Number(text);
}

/** Parses "msg size" (a LIST line, or the text of "+OK msg size" for LIST n). */
export function parseListLine(line: string): ListEntry {
  // RFC 1939 section 5: scan listing = msg SP size; anything after is allowed and ignored.
  // Only the head of the line is split: a long tail is never copied.
  const [msgText = '', sizeText = ''] = line.slice(0, 40).trim().split(/ +/);
  const msg = parseMessageNumber(msgText, 'LIST');
  if (!OCTETS.test(sizeText)) {
    throw new Pop3Error('POP3_PROTOCOL', 'malformed size in LIST', { serverText: escapeServerText(line) });
  }
  return { msg, size: Number(sizeText) };
}

/** Longest UID accepted (RFC 1939 section 7). */
export const MAX_UID_LENGTH = 70;

/** Parses "msg uid" (a UIDL line, or the text of "+OK msg uid"). Invalid UIDs are returned as rejected. */
export function parseUidlLine(line: string): UidlEntry | RejectedUid {
  let start = 0;
  let end = line.length;
  while (start < end && line.charCodeAt(start) === 0x20) start++;
  while (end > start && line.charCodeAt(end - 1) === 0x20) end--;
  const space = line.indexOf(' ', start);
  const msgEnd = space < 0 || space > end ? end : space;
  // At most 20 characters are copied; more than 10 digits fails the number pattern anyway.
  const msg = parseMessageNumber(line.slice(start, Math.min(msgEnd, start + 20)), 'UIDL');
  const uidStart = msgEnd === end ? end : msgEnd + 1;
  // Only the first 100 characters of a long UID are ever copied: a hostile 8,000-octet UID
  // costs nothing beyond the line being parsed.
  if (end - uidStart > MAX_UID_LENGTH) {
    return { msg, uidEscaped: `${escapeServerText(line.slice(uidStart, uidStart + 100))}...(${end - uidStart} characters)`, reason: 'invalid-uid' };
  }
  const uid = line.slice(uidStart, end);
  if (!isValidUid(uid)) return { msg, uidEscaped: escapeServerText(uid, 100), reason: 'invalid-uid' };
  return { msg, uid };
}

/** Parses "+OK n m" of STAT. */
export function parseStat(text: string): { count: number; size: number } {
  const match = /^(\d{1,10}) (\d{1,15})(?: |$)/.exec(text);
  if (!match) throw new Pop3Error('POP3_PROTOCOL', 'malformed STAT reply', { serverText: escapeServerText(text) });
  return { count: Number(match[1]), size: Number(match[2]) };
}

/** Validates a whole UIDL listing: invalid entries and every holder of a duplicated UID are rejected. */
export function validateUidlListing(lines: readonly string[]): UidlListing {
  const collector = new UidlCollector(Number.MAX_SAFE_INTEGER);
  for (const line of lines) collector.line(line);
  return collector.finish();
}

/** Refuses a message number no listing of at most `maxEntries` messages can hold. */
function checkListedMsg(msg: number, maxEntries: number, command: string): void {
  // RFC 1939 section 5: at the start of a session messages are numbered 1..n, so a number past
  // the entry cap means a listing past it too.
  if (msg > maxEntries) {
    throw new Pop3Error('POP3_LIMIT_EXCEEDED', `${command} lists message ${msg}, past the ${maxEntries}-entry limit`, { command });
  }
}

/** Grows a typed array to hold index `at`, doubling, never past `cap` elements. */
function grown<T extends Uint8Array | Uint32Array | Int32Array>(array: T, at: number, cap: number, make: (n: number) => T): T {
  if (at < array.length) return array;
  let length = array.length;
  while (length <= at) length *= 2;
  const out = make(Math.max(Math.min(length, cap), at + 1));
  out.set(array);
  return out;
}

const EMPTY = -1;

/**
 * Offered each valid UIDL entry as it streams (the UID already validated); true: the caller
 * has taken it over, and the listing leaves it out (not kept, not checked for duplicates here).
 */
export type UidlTaker = (uid: string, msg: number) => boolean;

/**
 * Streams a UIDL listing, one line at a time, into a validated UidlListing. Valid UIDs are
 * copied as octets into 1 MiB chunks (octet-chunks.ts), with position, length and message
 * number in typed arrays; duplicates are found with an open-addressing table of entry indexes
 * keyed by an FNV-1a hash of the octets, so a listing costs about its UID octets plus ~10
 * octets a message once listed (~30 while listing), and no string, Map or Set entry per message.
 */
export class UidlCollector {
  private readonly bytes = new OctetChunks();
  private starts = new Uint32Array(1024);
  private lengths = new Uint8Array(1024);
  private msgs = new Uint32Array(1024);
  /** 1 for every holder of a UID listed more than once. */
  private dup = new Uint8Array(1024);
  private n = 0;
  /** Open-addressing table of entry indexes (EMPTY when free), at most half full. */
  private table = new Int32Array(2048).fill(EMPTY);
  /** Message numbers seen in this listing (any entry, valid or not), one octet each. */
  private seenMsg = new Uint8Array(1024);
  /** Invalid entries, each with the number of valid entries listed before it (to keep listing order). */
  private readonly invalid: Array<{ before: number; item: RejectedUid }> = [];

  constructor(private readonly maxEntries: number, private readonly take?: UidlTaker) {}

  /** One UIDL line, unstuffed. */
  line(text: string): void {
    const item = parseUidlLine(text);
    checkListedMsg(item.msg, this.maxEntries, 'UIDL');
    this.seenMsg = grown(this.seenMsg, item.msg, this.maxEntries + 1, (n) => new Uint8Array(n));
    if (this.seenMsg[item.msg] === 1) {
      throw new Pop3Error('POP3_PROTOCOL', 'message number listed twice in UIDL', { serverText: String(item.msg) });
    }
    this.seenMsg[item.msg] = 1;
    if (!('uid' in item)) this.invalid.push({ before: this.n, item });
    else if (this.take === undefined || !this.take(item.uid, item.msg)) this.add(item.msg, item.uid);
  }

  /** The listing: valid entries, and the rejected ones with their reason, in listing order. */
  finish(): UidlListing {
    const rejected: RejectedUid[] = [];
    let kept = 0;
    let next = 0;
    for (let i = 0; i <= this.n; i++) {
      while (next < this.invalid.length && (this.invalid[next] as { before: number }).before === i) rejected.push((this.invalid[next++] as { item: RejectedUid }).item);
      if (i === this.n) break;
      if (this.dup[i] === 1) {
        rejected.push({ msg: this.msgs[i] as number, uidEscaped: escapeServerText(this.uidAt(i), 100), reason: 'duplicate-uid' });
        continue;
      }
      // Compacted in place: kept <= i.
      this.starts[kept] = this.starts[i] as number;
      this.lengths[kept] = this.lengths[i] as number;
      this.msgs[kept] = this.msgs[i] as number;
      kept++;
    }
    this.table = new Int32Array(0);
    this.seenMsg = new Uint8Array(0);
    this.dup = new Uint8Array(0);
    // Copies at the exact length: the growing arrays hold up to twice what the listing needs,
    // for the whole poll (issue 15: a kept mailbox's listing is most of an idle poll's memory).
    this.bytes.trim();
    return new UidColumns(this.bytes, this.starts.slice(0, kept), this.lengths.slice(0, kept), this.msgs.slice(0, kept), rejected);
  }

  private uidAt(i: number): string {
    const start = this.starts[i] as number;
    return this.bytes.toString(start, this.lengths[i] as number);
  }

  private add(msg: number, uid: string): void {
    const i = this.n;
    const cap = this.maxEntries + 1;
    this.starts = grown(this.starts, i, cap, (n) => new Uint32Array(n));
    this.lengths = grown(this.lengths, i, cap, (n) => new Uint8Array(n));
    this.msgs = grown(this.msgs, i, cap, (n) => new Uint32Array(n));
    this.dup = grown(this.dup, i, cap, (n) => new Uint8Array(n));
    // UIDs are 0x21-0x7E (checked above): one octet per character.
    this.starts[i] = this.bytes.append(uid);
    this.lengths[i] = uid.length;
    this.msgs[i] = msg;
    this.n = i + 1;
    if (this.n * 2 > this.table.length) this.rehash();
    const holder = this.insert(i);
    if (holder !== i) {
      this.dup[holder] = 1;
      this.dup[i] = 1;
    }
  }

  /** Inserts entry `i`, or returns the index of an earlier entry with the same UID. */
  private insert(i: number): number {
    const mask = this.table.length - 1;
    for (let slot = this.hashOf(i) & mask; ; slot = (slot + 1) & mask) {
      const at = this.table[slot] as number;
      if (at === EMPTY) {
        this.table[slot] = i;
        return i;
      }
      if (this.sameUid(at, i)) return at;
    }
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(EMPTY);
    // In listing order, so a later holder of a UID finds its first holder and is not inserted.
    for (let j = 0; j < this.n - 1; j++) this.insert(j);
  }

  private hashOf(i: number): number {
    const position = this.starts[i] as number;
    const chunk = this.bytes.chunkAt(position);
    const start = this.bytes.offsetOf(position);
    const end = start + (this.lengths[i] as number);
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ (chunk[k] as number), 0x01000193);
    return h >>> 0;
  }

  private sameUid(a: number, b: number): boolean {
    const length = this.lengths[a] as number;
    if (length !== this.lengths[b]) return false;
    const pa = this.starts[a] as number;
    const pb = this.starts[b] as number;
    const ca = this.bytes.chunkAt(pa);
    const cb = this.bytes.chunkAt(pb);
    const sa = this.bytes.offsetOf(pa);
    const sb = this.bytes.offsetOf(pb);
    for (let k = 0; k < length; k++) if (ca[sa + k] !== cb[sb + k]) return false;
    return true;
  }
}

/** The valid entries of a UIDL listing as columns over the UID octets. */
class UidColumns implements UidlListing {
  constructor(
    private readonly bytes: OctetChunks, private readonly starts: Uint32Array, private readonly lengths: Uint8Array,
    private readonly msgs: Uint32Array, readonly rejected: RejectedUid[],
  ) {}

  get count(): number {
    return this.msgs.length;
  }

  msg(i: number): number {
    if (!(i >= 0 && i < this.msgs.length)) throw new RangeError(`UIDL entry ${i} out of range`);
    return this.msgs[i] as number;
  }

  uid(i: number): string {
    if (!(i >= 0 && i < this.msgs.length)) throw new RangeError(`UIDL entry ${i} out of range`);
    return this.bytes.toString(this.starts[i] as number, this.lengths[i] as number);
  }

  writeUid(i: number, target: Uint8Array, offset: number): number {
    if (!(i >= 0 && i < this.msgs.length)) throw new RangeError(`UIDL entry ${i} out of range`);
    const position = this.starts[i] as number;
    const chunk = this.bytes.chunkAt(position);
    const start = this.bytes.offsetOf(position);
    const length = this.lengths[i] as number;
    // A loop, not set(subarray): UIDs are short, and a view per UID is an object per UID.
    for (let k = 0; k < length; k++) target[offset + k] = chunk[start + k] as number;
    return length;
  }

  get entries(): UidlEntry[] {
    const out: UidlEntry[] = [];
    for (let i = 0; i < this.msgs.length; i++) out.push({ msg: this.msgs[i] as number, uid: this.uid(i) });
    return out;
  }
}

/** Marks a message number LIST did not name. */
const UNLISTED = 0xffffffff;

/**
 * A LIST reply as sizes keyed by message number: one uint32 per message number, not an object
 * per entry, so LIST beside UIDL adds 4 octets a message. The rare size of 4 GiB or more (LIST
 * allows 15 digits) is kept aside in a Map.
 */
export class ListSizes {
  private sizes = new Uint32Array(64).fill(UNLISTED);
  private readonly huge = new Map<number, number>();
  private count = 0;

  constructor(private readonly maxEntries: number) {}

  /** Number of messages listed. */
  get length(): number {
    return this.count;
  }

  /** One LIST line, unstuffed. */
  line(text: string): void {
    const { msg, size } = parseListLine(text);
    checkListedMsg(msg, this.maxEntries, 'LIST');
    if (msg >= this.sizes.length) {
      let length = this.sizes.length;
      while (length <= msg) length *= 2;
      const grown = new Uint32Array(Math.min(length, this.maxEntries + 1)).fill(UNLISTED);
      grown.set(this.sizes);
      this.sizes = grown;
    }
    if (this.sizes[msg] !== UNLISTED) {
      throw new Pop3Error('POP3_PROTOCOL', 'message number listed twice in LIST', { serverText: String(msg) });
    }
    if (size >= UNLISTED) {
      this.huge.set(msg, size);
      this.sizes[msg] = UNLISTED - 1;
    } else {
      this.sizes[msg] = size;
    }
    this.count++;
  }

  /** The size LIST gave for `msg`, or undefined when it did not list it. */
  get(msg: number): number | undefined {
    const size = msg < this.sizes.length ? (this.sizes[msg] as number) : UNLISTED;
    if (size === UNLISTED) return undefined;
    return size === UNLISTED - 1 ? (this.huge.get(msg) ?? size) : size;
  }

  /** Every entry, by message number. */
  entries(): ListEntry[] {
    const out: ListEntry[] = [];
    for (let msg = 0; msg < this.sizes.length; msg++) {
      const size = this.get(msg);
      if (size !== undefined) out.push({ msg, size });
    }
    return out;
  }
}
