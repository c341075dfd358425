/**
 * Deterministic names for everything the core writes: object keys and event ids.
 *
 * A UID is server-controlled text (RFC 1939 section 7: 1-70 printable octets): it never appears
 * raw in a key, a path or an event id; only its SHA-256, salted with the mailbox id so two
 * mailboxes with the same UID never collide.
 */
import { sha256Hex } from '../shared/sha256.js';

const ASCII = /^[\x00-\x7f]*$/;

/** What an object under a message key holds. */
export type MessageKind = 'full' | 'headers';

/** What an event id is derived for: one per message and outcome. */
export type EventKind = 'stored' | 'headers' | 'skipped' | 'failed' | 'parse-failed';

/**
 * The one mailbox-id rule (the config schema, the CLI and the adapters' own check use it): ids
 * become S3 key segments, file names and event fields, so they stay boring: lower-case letters,
 * digits, - _ and ., starting with a letter or digit, no '..', at most 64 characters.
 */
export const MAILBOX_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;
/** The longest mailbox id. */
export const MAILBOX_ID_MAX_LENGTH = 64;

/** True when `id` follows the mailbox-id rule. */
export function isValidMailboxId(id: string): boolean {
  return id.length <= MAILBOX_ID_MAX_LENGTH && MAILBOX_ID_PATTERN.test(id) && !id.includes('..');
}

/** SHA-256 (hex) of the mailbox id and the UID: the only form a UID takes outside the state. */
export function uidHash(mailboxId: string, uid: string): string {
  // The NUL separator makes ("a", "bc") and ("ab", "c") hash differently. The UID is hashed as
  // latin1 octets; an ASCII one (RFC 1939: 0x21-0x7E) is the same as its UTF-8, so one string
  // goes to the one-shot hash (a Hash object per call was a tenth of the CLI's CPU per message).
  if (ASCII.test(uid)) return sha256Hex(`${mailboxId}\0${uid}`);
  return sha256Hex(Buffer.concat([Buffer.from(`${mailboxId}\0`, 'utf8'), Buffer.from(uid, 'latin1')]));
}

/**
 * Object key of a message: `${prefix}${mailboxId}/${kind}/${uidHash}.eml`.
 * `epoch` (>= 2, after an accepted UID epoch change) adds `e${epoch}/` so a re-used UID can
 * never collide with an object of the previous epoch (conditional create would keep the old one).
 * `generation` (>= 2) adds `.g${generation}` when a re-used UID met other bytes under the key:
 * deterministic, so a re-run after a crash walks the same keys and finds its own object.
 */
export function messageKey(prefix: string, mailboxId: string, uid: string, kind: MessageKind, epoch = 1, generation = 1): string {
  const epochPart = epoch > 1 ? `e${epoch}/` : '';
  const generationPart = generation > 1 ? `.g${generation}` : '';
  return `${prefix}${mailboxId}/${epochPart}${kind}/${uidHash(mailboxId, uid)}${generationPart}.eml`;
}

/**
 * Stable event id (UUID-shaped, from SHA-256): the same message and outcome always give the
 * same id, so a retried publish is a duplicate a consumer can drop.
 */
export function eventId(mailboxId: string, hash: string, kind: EventKind, epoch = 1, generation = 1): string {
  // Generation 1 keeps the original input so ids of existing messages do not change.
  const generationPart = generation > 1 ? `\0g${generation}` : '';
  const h = sha256Hex(`pop3-ingest\0${mailboxId}\0${hash}\0${kind}\0${epoch}${generationPart}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The UID epoch a message key was written in (messageKey's `e${epoch}/` part; 1 without it), or
 * undefined when `key` is not this message's key under any prefix. Replay needs it: the epoch is
 * part of the event id, and the prefix may have changed since the object was stored.
 */
export function keyEpoch(key: string, mailboxId: string, uid: string, kind: MessageKind, generation = 1): number | undefined {
  const file = `${kind}/${uidHash(mailboxId, uid)}${generation > 1 ? `.g${generation}` : ''}.eml`;
  const id = mailboxId.replace(/\./g, '\\.');
  const later = new RegExp(`(?:^|/)${id}/e(\\d{1,9})/${file.replace(/\./g, '\\.')}$`).exec(key);
  if (later) return Number(later[1]);
  const first = `${mailboxId}/${file}`;
  return key === first || key.endsWith(`/${first}`) ? 1 : undefined;
}
