/**
 * What extraction produces and what it needs from its caller: the ParsedMessage (also the
 * content of message.json) and the sink that stores each attachment and message.json.
 */
import type { Address } from './addresses.js';
import type { ParseLimits } from './limits.js';

/** Something the parser noticed and worked around; the message still parsed. */
export type ParseDefect =
  | 'no-content-type-boundary'
  | 'multipart-without-parts'
  | 'unknown-transfer-encoding'
  | 'unknown-charset'
  | 'raw-8bit-header'
  | 'invalid-date'
  | 'text-truncated'
  | 'html-truncated';

/** One node of the MIME tree, in document order. */
export interface MimePart {
  /** IMAP-style part number: '' for the root, '1', '1.2', ... */
  part: string;
  depth: number;
  /** Lower-case media type, e.g. 'multipart/mixed', 'text/plain', 'application/pdf'. */
  contentType: string;
  charset?: string;
  disposition?: string;
  transferEncoding?: string;
  /** What extraction did with it. */
  role: 'container' | 'text' | 'html' | 'attachment';
  /** Decoded octets (leaves only). */
  size?: number;
  /** Index into `attachments` when role is 'attachment'. */
  attachment?: number;
}

/** One attachment, stored as its own object. */
export interface AttachmentInfo {
  /** Decoded filename (RFC 2231 / RFC 2047) as the sender wrote it: untrusted text, never a path. */
  filename?: string;
  contentType: string;
  /** 'attachment' or 'inline' as declared; absent when the part had no Content-Disposition. */
  disposition?: string;
  /** Content-ID without angle brackets (for cid: references from the HTML body). */
  contentId?: string;
  /** The MIME part it came from. */
  part: string;
  size: number;
  sha256: string;
  /** Object key: attachmentKey(messageKey, sha256); absent when attachments are not stored. */
  key?: string;
}

/** Where message.json went. */
export interface StoredJson {
  key: string;
  size: number;
  sha256: string;
}

/** The parsed message: the content of message.json. */
export interface ParsedMessage {
  /** Format of this document; bumped on a breaking change. */
  parsedVersion: 1;
  subject?: string;
  from: Address[];
  sender: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  /** Date header as ISO-8601 UTC; absent when missing or unparsable (see dateRaw). */
  date?: string;
  dateRaw?: string;
  messageId?: string;
  inReplyTo: string[];
  references: string[];
  /** The text/plain body (inline parts joined), at most maxBodyChars. */
  text?: string;
  /** The text/html body, at most maxBodyChars. */
  html?: string;
  /** Decoded octets of the text and HTML body parts in all, kept or not. */
  textSize: number;
  htmlSize: number;
  textTruncated: boolean;
  htmlTruncated: boolean;
  attachments: AttachmentInfo[];
  parts: MimePart[];
  defects: ParseDefect[];
  /** Charsets declared but not decodable (reported, decoded as UTF-8/windows-1252 instead). */
  unknownCharsets: string[];
}

/** One object extraction asks the sink to store. */
export interface ParsedObject {
  /** Built by attachmentKey()/messageJsonKey(): hex digests and fixed names only. */
  key: string;
  body: AsyncIterable<Uint8Array>;
  /** Exact size and SHA-256 of `body`, known before the put (the spool computed them). */
  size: number;
  sha256: string;
  role: 'attachment' | 'message-json';
  /** Media type to store with the object ('application/json' for message.json). */
  contentType: string;
  /** For role 'attachment': what to keep as object metadata (the adapter encodes it). */
  attachment?: AttachmentInfo;
}

/** Stores parsed objects. The lead adapts it over MessageStore (conditional create by key). */
export interface AttachmentSink {
  /** Stores the object unless one exists under the key; consumes `body` to its end. */
  put(object: ParsedObject): Promise<{ status: 'stored' | 'already-stored' | 'conflict' }>;
}

/** Options of one extraction. */
export interface ExtractOptions {
  /** Key of the stored raw message (keys.ts messageKey): parsed objects go under its prefix. */
  messageKey: string;
  /** false: attachments are listed (size, sha256) but not stored, and have no key. Default true. */
  attachments?: boolean;
  limits?: Partial<ParseLimits>;
  /** Where large attachments spool (default os.tmpdir()). */
  tempDir?: string;
  signal?: AbortSignal;
}

/** What extractMessage returns: the parsed message and where message.json went. */
export interface ExtractResult {
  message: ParsedMessage;
  messageJson: StoredJson;
}
