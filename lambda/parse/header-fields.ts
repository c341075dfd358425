/**
 * The header block of a message, from raw bytes to bounded Unicode values. Pure and total:
 * header text is untrusted, so garbage in gives best-effort text out, never an exception.
 */
import libmime from 'libmime';
import { decodeText } from './charset.js';

/** One header field after unfolding; `raw` keeps the octets (as latin1 code points). */
export interface RawField {
  /** Field name, lower case. */
  name: string;
  /** Unfolded value, one code point per octet: 8-bit octets are decoded later, with a charset hint. */
  raw: string;
}

/**
 * Splits a header block into fields. RFC 5322 section 2.2.3: a line starting with whitespace
 * continues the previous field; unfolding removes the line break only. Lines without a colon
 * (mbox "From " lines, garbage) are skipped.
 */
export function splitHeaderBlock(block: Uint8Array): RawField[] {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('latin1');
  const fields: RawField[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      fields[fields.length - 1]!.raw += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    fields.push({ name, raw: line.slice(colon + 1) });
  }
  return fields;
}

/** The first field with this name, or undefined. */
export function firstField(fields: readonly RawField[], name: string): string | undefined {
  return fields.find((f) => f.name === name)?.raw;
}

/** Every field with this name, joined with ", " (To and Cc may be repeated). */
export function joinedFields(fields: readonly RawField[], name: string): string | undefined {
  const values = fields.filter((f) => f.name === name).map((f) => f.raw);
  return values.length ? values.join(', ') : undefined;
}

/** Result of decoding one value: text plus whether 8-bit octets had to be guessed. */
export interface DecodedValue {
  text: string;
  /** Set when the value carried raw 8-bit octets: the charset they were read as. */
  rawCharset?: string;
}

/**
 * Decodes an unfolded raw value: raw 8-bit octets (RFC 6532 UTF-8, or an unlabelled legacy
 * charset: then `fallbackCharset`), then RFC 2047 encoded words, then control characters
 * become spaces. Bounded to `maxChars`.
 */
export function decodeValue(raw: string, fallbackCharset: string | undefined, maxChars: number): DecodedValue {
  let text = raw;
  let rawCharset: string | undefined;
  if (/[\x80-\xff]/.test(raw)) {
    const decoded = decodeText(Buffer.from(raw, 'latin1'), undefined, fallbackCharset);
    text = decoded.text;
    rawCharset = decoded.charset;
  }
  return { text: clean(decodeWords(text), maxChars), ...(rawCharset ? { rawCharset } : {}) };
}

/** RFC 2047 encoded words to Unicode; a malformed word stays as written. */
export function decodeWords(text: string): string {
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Control characters (C0, DEL, C1, line/paragraph separators) become spaces; trimmed; bounded. */
export function clean(text: string, maxChars: number): string {
  const out = text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}

/** Message ids in a Message-ID, In-Reply-To or References value, angle brackets kept. */
export function messageIds(raw: string | undefined, max: number, maxChars: number): string[] {
  if (!raw) return [];
  const text = raw.replace(/[\x80-\xff]/g, '?');
  let ids = text.match(/<[^<>\s]*>/g) ?? text.split(/[\s,]+/).filter(Boolean);
  // RFC 5322 section 3.6.4: References lists the oldest first; the newest identify the thread.
  if (ids.length > max) ids = ids.slice(ids.length - max);
  return ids.map((id) => clean(id, maxChars));
}

/** RFC 5322 date-time to ISO-8601 UTC, or undefined when it does not parse. */
export function parseDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const value = raw.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  // RFC 5322 section 4.3: obsolete zones; V8's parser knows UT/GMT/EST..PDT but not "UT".
  const ms = Date.parse(value.replace(/ UT$/, ' GMT'));
  if (!Number.isFinite(ms)) return undefined;
  const year = new Date(ms).getUTCFullYear();
  return year >= 1970 && year <= 9999 ? new Date(ms).toISOString() : undefined;
}
