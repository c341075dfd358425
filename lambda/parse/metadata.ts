/**
 * Object metadata for a stored attachment, safe for any store: S3 user metadata must be
 * US-ASCII and at most 2 KB in all, and a Content-Disposition built from an untrusted filename
 * must not inject header syntax. Pure.
 */
import type { ParsedObject } from './types.js';

/** Octets of user metadata S3 accepts per object (keys and values, UTF-8). */
const S3_USER_METADATA_BYTES = 2048;
/** Characters kept of the percent-encoded filename in metadata (leaves room for the rest). */
const MAX_ENCODED_FILENAME = 1024;

/** What an adapter stores with a parsed object besides its key and body. */
export interface ParsedObjectMetadata {
  /** Media type for the object's Content-Type (token characters only, else application/octet-stream). */
  contentType: string;
  /** RFC 6266 Content-Disposition with an RFC 8187 `filename*`, for downloads; absent without a filename. */
  contentDisposition?: string;
  /** User metadata: lower-case ASCII keys and values, at most 2 KB in all. */
  metadata: Record<string, string>;
}

/** Metadata of a ParsedObject (attachment or message.json). */
export function parsedObjectMetadata(object: Omit<ParsedObject, 'body'>): ParsedObjectMetadata {
  const contentType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(object.contentType) ? object.contentType : 'application/octet-stream';
  const metadata: Record<string, string> = { role: object.role, sha256: object.sha256 };
  const a = object.attachment;
  let contentDisposition: string | undefined;
  if (a) {
    metadata.part = ascii(a.part, 64);
    if (a.disposition) metadata.disposition = ascii(a.disposition, 64);
    if (a.contentId) metadata['content-id'] = ascii(a.contentId, 256);
    if (a.filename) {
      // RFC 8187: UTF-8, percent-encoded; also what a consumer decodes with decodeURIComponent.
      const encoded = truncateEncoded(encodeRfc8187(a.filename), MAX_ENCODED_FILENAME);
      metadata.filename = encoded;
      contentDisposition = `${a.disposition === 'inline' ? 'inline' : 'attachment'}; filename*=UTF-8''${encoded}`;
    }
  }
  while (metadataBytes(metadata) > S3_USER_METADATA_BYTES && metadata['content-id']) delete metadata['content-id'];
  return { contentType, ...(contentDisposition ? { contentDisposition } : {}), metadata };
}

/** RFC 8187 value-chars: attr-char stays, everything else is %XX of its UTF-8 octets. */
function encodeRfc8187(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((o) => (/[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(o)) ? String.fromCharCode(o) : `%${o.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** Cuts a percent-encoded string without splitting an escape or a UTF-8 sequence. */
function truncateEncoded(encoded: string, max: number): string {
  if (encoded.length <= max) return encoded;
  let cut = max;
  while (cut > 0 && encoded[cut - 1] !== undefined && /%[0-9A-F]?$/.test(encoded.slice(Math.max(0, cut - 2), cut))) cut--;
  let out = encoded.slice(0, cut);
  // Drop trailing continuation octets (%80-%BF) and a dangling lead octet.
  while (/%[89AB][0-9A-F]$/.test(out)) out = out.slice(0, -3);
  if (/%(C[0-9A-F]|D[0-9A-F]|E[0-9A-F]|F[0-7])$/.test(out)) out = out.slice(0, -3);
  return out;
}

function ascii(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

function metadataBytes(metadata: Record<string, string>): number {
  return Object.entries(metadata).reduce((n, [k, v]) => n + k.length + v.length, 0);
}
