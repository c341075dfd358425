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

/** A whole UIDL listing after validation. */
export interface UidlListing {
  entries: UidlEntry[];
  rejected: RejectedUid[];
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

/** Streams a UIDL listing, one line at a time, into a validated UidlListing. */
export class UidlCollector {
  private readonly parsed: Array<UidlEntry | RejectedUid> = [];
  private readonly counts = new Map<string, number>();
  private readonly seenMsg = new Set<number>();

  constructor(private readonly maxEntries: number) {}

  /** One UIDL line, unstuffed. */
  line(text: string): void {
    const item = parseUidlLine(text);
    checkListedMsg(item.msg, this.maxEntries, 'UIDL');
    if (this.seenMsg.has(item.msg)) {
      throw new Pop3Error('POP3_PROTOCOL', 'message number listed twice in UIDL', { serverText: String(item.msg) });
    }
    this.seenMsg.add(item.msg);
    if ('uid' in item) this.counts.set(item.uid, (this.counts.get(item.uid) ?? 0) + 1);
    this.parsed.push(item);
  }

  /** The listing: valid entries, and the rejected ones with their reason. */
  finish(): UidlListing {
    const rejected: RejectedUid[] = [];
    const entries: UidlEntry[] = [];
    for (const item of this.parsed) {
      if (!('uid' in item)) rejected.push(item);
      else if ((this.counts.get(item.uid) ?? 0) > 1) {
        rejected.push({ msg: item.msg, uidEscaped: escapeServerText(item.uid, 100), reason: 'duplicate-uid' });
      } else entries.push(item);
    }
    return { entries, rejected };
  }
}

/**
 * A LIST reply as sizes keyed by message number: one float64 per message number (an exact
 * integer up to 2^53), not an object per entry, so LIST beside UIDL adds 8 octets a message.
 */
export class ListSizes {
  private sizes = new Float64Array(64).fill(Number.NaN);
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
      const grown = new Float64Array(Math.min(length, this.maxEntries + 1)).fill(Number.NaN);
      grown.set(this.sizes);
      this.sizes = grown;
    }
    if (!Number.isNaN(this.sizes[msg] as number)) {
      throw new Pop3Error('POP3_PROTOCOL', 'message number listed twice in LIST', { serverText: String(msg) });
    }
    this.sizes[msg] = size;
    this.count++;
  }

  /** The size LIST gave for `msg`, or undefined when it did not list it. */
  get(msg: number): number | undefined {
    const size = msg < this.sizes.length ? (this.sizes[msg] as number) : Number.NaN;
    return Number.isNaN(size) ? undefined : size;
  }

  /** Every entry, by message number. */
  entries(): ListEntry[] {
    const out: ListEntry[] = [];
    this.sizes.forEach((size, msg) => {
      if (!Number.isNaN(size)) out.push({ msg, size });
    });
    return out;
  }
}
