/**
 * LIST and UIDL line parsers, and UID validation (RFC 1939 section 7: a unique-id is 1 to 70
 * characters in the range 0x21 to 0x7E).
 *
 * Documented outcome for bad listings: an entry with an invalid UID is left out and reported;
 * when a UID appears more than once, EVERY message carrying it is left out and reported. We
 * never guess which one is "the real one": a wrong guess would mean a lost or duplicated mail.
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
  const [msgText = '', sizeText = ''] = line.trim().split(/ +/);
  const msg = parseMessageNumber(msgText, 'LIST');
  if (!OCTETS.test(sizeText)) {
    throw new Pop3Error('POP3_PROTOCOL', 'malformed size in LIST', { serverText: escapeServerText(line) });
  }
  return { msg, size: Number(sizeText) };
}

/** Parses "msg uid" (a UIDL line, or the text of "+OK msg uid"). Invalid UIDs are returned as rejected. */
export function parseUidlLine(line: string): UidlEntry | RejectedUid {
  const trimmed = line.replace(/^ +| +$/g, '');
  const space = trimmed.indexOf(' ');
  const msgText = space < 0 ? trimmed : trimmed.slice(0, space);
  const msg = parseMessageNumber(msgText, 'UIDL');
  const uid = space < 0 ? '' : trimmed.slice(space + 1);
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
  const parsed = lines.map(parseUidlLine);
  const rejected: RejectedUid[] = [];
  const counts = new Map<string, number>();
  const seenMsg = new Set<number>();
  for (const item of parsed) {
    if (seenMsg.has(item.msg)) {
      throw new Pop3Error('POP3_PROTOCOL', 'message number listed twice in UIDL', { serverText: String(item.msg) });
    }
    seenMsg.add(item.msg);
    if ('uid' in item) counts.set(item.uid, (counts.get(item.uid) ?? 0) + 1);
  }
  const entries: UidlEntry[] = [];
  for (const item of parsed) {
    if (!('uid' in item)) rejected.push(item);
    else if ((counts.get(item.uid) ?? 0) > 1) {
      rejected.push({ msg: item.msg, uidEscaped: escapeServerText(item.uid, 100), reason: 'duplicate-uid' });
    } else entries.push(item);
  }
  return { entries, rejected };
}
