/**
 * Header extraction for events: find the header block, unfold it, decode RFC 2047 encoded
 * words, and bound every value. Pure and total: garbage in gives best-effort text out, never
 * an exception (header values are untrusted server-side text).
 */
import { GrowableBytes } from './growable-bytes.js';

/** Bounds that keep one event far below EventBridge's 256 KB entry limit. */
export const HEADER_LIMITS = {
  /** Octets of the message we look at to find the header block (teed off the body stream). */
  maxHeaderBlock: 64 * 1024,
  /** Characters kept per header value; longer values are cut and flagged `truncated`. */
  maxValueChars: 2048,
} as const;

/** The headers an event carries, decoded to Unicode. Absent headers are left out. */
export interface EventHeaders {
  messageId?: string;
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  date?: string;
}

/** Decoded headers plus whether anything was cut (a value or the header block itself). */
export interface ExtractedHeaders {
  headers: EventHeaders;
  truncated: boolean;
}

/** One raw header field after unfolding: name as written, value not yet decoded. */
export interface HeaderField {
  name: string;
  value: string;
}

/**
 * Length of the header block in `bytes` including the line break that ends the last field,
 * or -1 if no blank line was found. RFC 5322 section 2.1: the header ends at the first empty line.
 */
export function headerBlockEnd(bytes: Uint8Array, from = 0): number {
  if (bytes[0] === 13 && bytes[1] === 10) return 0;
  if (bytes[0] === 10) return 0;
  for (let i = Math.max(0, from); i < bytes.length - 1; i++) {
    if (bytes[i] !== 10) continue;
    // i is a LF: the next line is empty if it is CRLF or LF.
    if (bytes[i + 1] === 10) return i + 1;
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 1;
  }
  return -1;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Bytes to text: UTF-8 when valid (RFC 6532 allows it in headers), else windows-1252. */
export function decodeRaw(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

// WHATWG Encoding: these labels all mean windows-1252 (mail labelled iso-8859-1 routinely uses
// 0x80-0x9F for curly quotes and the euro sign).
const WINDOWS_1252_LABELS = new Set([
  'ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1', 'iso-ir-100',
  'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii', 'windows-1252', 'x-cp1252',
]);
// 0x80-0x9F of windows-1252 (0 = undefined there: kept as the C1 code point, as WHATWG does).
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/**
 * windows-1252 by table: Node 20's TextDecoder('windows-1252') decodes it as ISO-8859-1
 * (0x80 becomes U+0080 instead of the euro sign).
 */
function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] || b : b);
  return out;
}

/** RFC 5322 section 2.2.3: unfold (a line break followed by WSP is not a break) and split fields. */
export function parseHeaderFields(block: string): HeaderField[] {
  const unfolded = block.replace(/\r?\n(?=[ \t])/g, '');
  const fields: HeaderField[] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    // A line without a colon (or with a bad name) is garbage: skip it, keep the rest.
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    fields.push({ name, value: line.slice(colon + 1).trim() });
  }
  return fields;
}

// RFC 2047 section 2: =?charset?encoding?encoded-text?=, charset may carry an RFC 2231 *language.
const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

interface Segment {
  text?: string;
  charset?: string;
  bytes?: Uint8Array;
}

/**
 * RFC 2047 decoding of a header value. Adjacent encoded words are joined (section 6.2: the
 * whitespace between them is not displayed) and decoded together, so a multi-byte character
 * split across two words survives. Unknown charsets leave the word as written.
 */
export function decodeEncodedWords(value: string): string {
  const segments: Segment[] = [];
  let last = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const start = match.index;
    const between = value.slice(last, start);
    const previous = segments[segments.length - 1];
    const adjacent = previous?.bytes !== undefined && /^[ \t\r\n]*$/.test(between);
    if (!adjacent && between.length > 0) segments.push({ text: between });
    const charset = (match[1] ?? '').split('*')[0]!.toLowerCase();
    const bytes = (match[2] ?? '').toUpperCase() === 'B' ? decodeB(match[3] ?? '') : decodeQ(match[3] ?? '');
    if (adjacent && previous?.charset === charset && previous.bytes) {
      previous.bytes = concat(previous.bytes, bytes);
    } else {
      segments.push({ charset, bytes, text: match[0] });
    }
    last = start + match[0].length;
  }
  if (last < value.length) segments.push({ text: value.slice(last) });
  let out = '';
  for (const s of segments) {
    if (s.bytes === undefined) out += s.text ?? '';
    else out += decodeCharset(s.charset ?? '', s.bytes) ?? s.text ?? '';
  }
  return out;
}

/** Decodes `bytes` in `charset`; undefined when the charset is unknown to this runtime. */
function decodeCharset(charset: string, bytes: Uint8Array): string | undefined {
  if (WINDOWS_1252_LABELS.has(charset)) return decodeWindows1252(bytes);
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeB(text: string): Uint8Array {
  // Tolerant: missing padding and stray characters are ignored, as most mail readers do.
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function decodeQ(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) {
      out.push(0x20); // RFC 2047 section 4.2: "_" is a space
    } else if (c === 0x3d && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(c & 0xff);
    }
  }
  return new Uint8Array(out);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Cuts `value` to `max` characters without splitting a surrogate pair. */
export function truncateValue(value: string, max: number = HEADER_LIMITS.maxValueChars): { value: string; truncated: boolean } {
  if (value.length <= max) return { value, truncated: false };
  let end = max;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return { value: value.slice(0, end), truncated: true };
}

const WANTED: Record<string, keyof EventHeaders> = {
  'message-id': 'messageId',
  from: 'from',
  to: 'to',
  cc: 'cc',
  subject: 'subject',
  date: 'date',
};
const MULTI: ReadonlySet<keyof EventHeaders> = new Set(['to', 'cc']);

/**
 * The event headers of a header block (raw octets). `incomplete` says the block was cut
 * before its blank line (a hostile or huge header): the result is then flagged truncated.
 */
export function extractHeaders(block: Uint8Array, incomplete = false): ExtractedHeaders {
  const raw: Partial<Record<keyof EventHeaders, string[]>> = {};
  for (const field of parseHeaderFields(decodeRaw(block))) {
    const key = WANTED[field.name.toLowerCase()];
    if (key === undefined) continue;
    const list = (raw[key] ??= []);
    // Single-valued fields: the first occurrence wins (RFC 5322 section 3.6 allows one).
    if (list.length === 0 || MULTI.has(key)) list.push(field.value);
  }
  const headers: EventHeaders = {};
  let truncated = incomplete;
  for (const [key, values] of Object.entries(raw) as Array<[keyof EventHeaders, string[]]>) {
    const decoded = sanitize(values.map((v) => decodeEncodedWords(v)).join(', '));
    const cut = truncateValue(decoded);
    headers[key] = cut.value;
    truncated ||= cut.truncated;
  }
  return { headers, truncated };
}

/** Control characters become spaces: decoded text may hold anything, logs and consumers must not. */
function sanitize(value: string): string {
  return value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ').trim();
}

/** First buffer of a HeaderCapture (grown by doubling up to its limit): most header blocks fit. */
const INITIAL_CAPTURE_BYTES = 8 * 1024;

/**
 * Copies the first octets of a body stream, up to the end of the header block or
 * `limit`, while the stream flows on unchanged: headers without buffering the message.
 */
export class HeaderCapture {
  private captured: GrowableBytes | undefined;
  private whole: Uint8Array | undefined;
  private done = false;
  private complete = false;
  private end = -1;

  constructor(private readonly limit: number = HEADER_LIMITS.maxHeaderBlock) {}

  /** Wraps `source`: yields the same chunks, observing the first ones. */
  tee(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const observe = (chunk: Uint8Array): void => this.observe(chunk);
    const finish = (): void => this.finish();
    return (async function* () {
      for await (const chunk of source) {
        observe(chunk);
        yield chunk;
      }
      finish();
    })();
  }

  /**
   * Observes a whole body already in memory, as tee() would have, without copying it: the view
   * is kept until result() copies the header block out.
   */
  observeAll(body: Uint8Array): void {
    if (this.done || this.captured !== undefined) {
      this.observe(body);
      this.finish();
      return;
    }
    this.whole = body.subarray(0, this.limit);
    this.end = headerBlockEnd(this.whole, 0);
    // Without a blank line inside the limit: all header when the body ends first (as finish()).
    this.complete = this.end >= 0 || body.length < this.limit;
    this.done = true;
  }

  /** True once the header block is complete or the limit reached: later chunks are not looked at. */
  get finished(): boolean {
    return this.done;
  }

  /** Header block seen so far and whether it ended inside the limit. */
  result(): { block: Uint8Array; complete: boolean } {
    const seen = this.whole ?? this.captured?.view() ?? new Uint8Array(0);
    // A copy (a Buffer's slice() would be a view): the block outlives the body it came from.
    return { block: new Uint8Array(seen.subarray(0, this.end >= 0 ? this.end : seen.length)), complete: this.complete };
  }

  /** Decoded event headers of what was captured. */
  headers(): ExtractedHeaders {
    const { block, complete } = this.result();
    return extractHeaders(block, !complete);
  }

  private observe(chunk: Uint8Array): void {
    if (this.done) return;
    this.captured ??= new GrowableBytes(INITIAL_CAPTURE_BYTES, this.limit);
    const from = Math.max(0, this.captured.length - 2);
    this.captured.append(chunk);
    const end = headerBlockEnd(this.captured.view(), from);
    if (end >= 0) {
      this.end = end;
      this.done = true;
      this.complete = true;
    } else if (this.captured.length >= this.limit) {
      this.done = true;
    }
  }

  private finish(): void {
    // A message without a blank line is all header (RFC 5322 allows an absent body).
    if (!this.done) {
      this.done = true;
      this.complete = true;
    }
  }
}
