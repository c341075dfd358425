/**
 * Object keys of what parsing writes. Only hex digests and fixed names appear in them: an
 * attachment's filename is untrusted text and stays in metadata and message.json, never in a key.
 */

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Prefix of everything parsed from one message: the raw message key without `.eml`, plus `/`.
 * `mail/support/full/<uidHash>.eml` gives `mail/support/full/<uidHash>/`.
 */
export function parsedPrefix(messageKey: string): string {
  if (!messageKey.endsWith('.eml') || messageKey.length <= 4) {
    throw new RangeError('message key must end with .eml');
  }
  return `${messageKey.slice(0, -4)}/`;
}

/** Key of one attachment: `<prefix>attachments/<sha256>`. The same content is stored once per message. */
export function attachmentKey(messageKey: string, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new RangeError('sha256 must be 64 lower-case hex digits');
  return `${parsedPrefix(messageKey)}attachments/${sha256}`;
}

/** Key of the message.json of a message: `<prefix>message.json`. */
export function messageJsonKey(messageKey: string): string {
  return `${parsedPrefix(messageKey)}message.json`;
}
