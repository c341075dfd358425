/**
 * The extraction pipeline: one stored message in, message.json and one object per attachment
 * out, with memory bounded by the limits whatever the message's size.
 *
 * The splitter (@zone-eu/mailsplit) yields MIME nodes and raw body lines as a stream; each leaf
 * is transfer-decoded chunk by chunk, text bodies are kept up to maxBodyChars, attachments are
 * hashed while they spool (memory, then a temp file) and stored under their SHA-256.
 */
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { Splitter, type MimeNode, type SplitterChunk } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { decodeText } from './charset.js';
import { ParseError } from './errors.js';
import { envelopeFields } from './envelope.js';
import { clean } from './header-fields.js';
import { attachmentKey, messageJsonKey } from './keys.js';
import { resolveParseLimits, type ParseLimits } from './limits.js';
import { Spool } from './spool.js';
import { isKnownTransferEncoding, transferDecoder, type TransferDecoder } from './transfer.js';
import type { AttachmentInfo, AttachmentSink, ExtractOptions, ExtractResult, MimePart, ParseDefect, ParsedMessage } from './types.js';

/**
 * Parses one full message from `body` and stores its message.json and attachments through
 * `sink`. Throws a ParseError when the message does not parse (a "Message Parse Failed"); any
 * other error is the sink's or the body's own and keeps its code and category. `body` is read
 * to its end even when parsing fails, so a caller that tees the raw stream is never stalled.
 */
export async function extractMessage(body: AsyncIterable<Uint8Array>, options: ExtractOptions, sink: AttachmentSink): Promise<ExtractResult> {
  const limits = resolveParseLimits(options.limits);
  const run = new Extraction(limits, options, sink);
  const input = Readable.from(asBuffers(body), { objectMode: false, highWaterMark: 64 * 1024 });
  const splitter = new Splitter({ ignoreEmbedded: true, maxHeadSize: limits.maxHeadSize, maxChildNodes: limits.maxParts });
  // Whose error it is decides what it means: the body's and the sink's keep their own code
  // (a transient S3 failure stays retryable); only the splitter's mean "does not parse".
  let bodyError: unknown;
  let ownError: unknown;
  input.on('error', (error) => {
    bodyError = error;
    splitter.destroy(error);
  });
  const own = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      ownError = error;
      throw error;
    });
  input.pipe(splitter);
  try {
    for await (const chunk of splitter as AsyncIterable<SplitterChunk>) {
      options.signal?.throwIfAborted();
      await own(run.onChunk(chunk));
    }
    await own(run.endLeaf());
    const message = run.result();
    const messageJson = await own(storeJson(message, options.messageKey, sink));
    return { message, messageJson };
  } catch (error) {
    input.unpipe(splitter);
    splitter.destroy();
    if (!options.signal?.aborted && !input.destroyed) await drain(input);
    else input.destroy();
    if (error === bodyError || error === ownError || error instanceof ParseError || options.signal?.aborted) throw error;
    throw asParseError(error);
  } finally {
    await run.dispose();
  }
}

/** Serialises the parsed message and stores it as message.json. */
async function storeJson(message: ParsedMessage, messageKey: string, sink: AttachmentSink) {
  const bytes = Buffer.from(JSON.stringify(message), 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = messageJsonKey(messageKey);
  await sink.put({ key, body: once(bytes), size: bytes.length, sha256, role: 'message-json', contentType: 'application/json' });
  return { key, size: bytes.length, sha256 };
}

type Role = MimePart['role'];

/** The leaf being read: its part entry and where its decoded octets go. */
interface Leaf {
  node: MimeNode;
  part: MimePart;
  decoder: TransferDecoder;
  /** Raw octets held back: the line break before a boundary belongs to the boundary (RFC 2046 5.1.1). */
  held: Uint8Array;
  trimLastBreak: boolean;
  size: number;
  text?: TextCollector;
  spool?: Spool;
  hash?: ReturnType<typeof createHash>;
}

/** Keeps the first `limit` decoded octets of the text (or HTML) body parts. */
class TextCollector {
  chunks: Uint8Array[] = [];
  kept = 0;
  cut = false;

  constructor(private readonly limit: number) {}

  add(bytes: Uint8Array): void {
    const room = this.limit - this.kept;
    if (bytes.length > room) this.cut = true;
    if (room <= 0) return;
    const slice = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.chunks.push(Uint8Array.from(slice));
    this.kept += slice.length;
  }
}

const EMPTY = new Uint8Array(0);

class Extraction {
  private readonly parts: MimePart[] = [];
  private readonly attachments: AttachmentInfo[] = [];
  private readonly defects = new Set<ParseDefect>();
  private readonly unknownCharsets = new Set<string>();
  private readonly storedKeys = new Set<string>();
  private readonly texts: string[] = [];
  private readonly htmls: string[] = [];
  private textSize = 0;
  private htmlSize = 0;
  private textCut = false;
  private htmlCut = false;
  private rootHeader: Uint8Array | undefined;
  private firstTextCharset: string | undefined;
  private leaf: Leaf | undefined;
  /**
   * The root multipart's own bytes until its first part appears. If none ever does (no
   * boundary parameter, or a boundary the body never uses) they are the only readable text.
   */
  private salvage: TextCollector | undefined;
  private salvageDefect: ParseDefect = 'multipart-without-parts';

  constructor(
    private readonly limits: ParseLimits,
    private readonly options: ExtractOptions,
    private readonly sink: AttachmentSink,
  ) {}

  async onChunk(chunk: SplitterChunk): Promise<void> {
    if (chunk.type === 'node') {
      await this.endLeaf();
      this.onNode(chunk);
      return;
    }
    if (chunk.type === 'body' && this.leaf && chunk.node === this.leaf.node) {
      await this.feed(this.leaf, chunk.value);
      return;
    }
    // Multipart structure (preamble, boundary lines, epilogue): the current leaf has ended.
    await this.endLeaf();
    if (this.salvage && chunk.node.root) this.salvage.add(chunk.value);
  }

  async endLeaf(): Promise<void> {
    const leaf = this.leaf;
    if (!leaf) return;
    this.leaf = undefined;
    let tail = leaf.held;
    if (leaf.trimLastBreak) {
      if (tail.length >= 2 && tail[tail.length - 2] === 13 && tail[tail.length - 1] === 10) tail = tail.subarray(0, tail.length - 2);
      else if (tail.length >= 1 && tail[tail.length - 1] === 10) tail = tail.subarray(0, tail.length - 1);
    }
    await this.take(leaf, leaf.decoder.write(tail));
    await this.take(leaf, leaf.decoder.end());
    leaf.part.size = leaf.size;
    if (leaf.text) this.endText(leaf);
    else await this.endAttachment(leaf);
  }

  result(): ParsedMessage {
    return {
      parsedVersion: 1,
      ...envelopeFields(this.rootHeader, this.firstTextCharset, this.limits, this.defects),
      ...this.bodies(),
      attachments: this.attachments,
      parts: this.parts,
      defects: [...this.defects].sort(),
      unknownCharsets: [...this.unknownCharsets].sort(),
    };
  }

  async dispose(): Promise<void> {
    await this.leaf?.spool?.dispose();
  }

  private bodies(): Pick<ParsedMessage, 'text' | 'html' | 'textSize' | 'htmlSize' | 'textTruncated' | 'htmlTruncated'> {
    const cap = (parts: string[], cut: boolean, defect: ParseDefect): { value?: string; truncated: boolean } => {
      if (parts.length === 0) return { truncated: cut };
      let value = parts.join('\n');
      let truncated = cut;
      if (value.length > this.limits.maxBodyChars) {
        value = value.slice(0, this.limits.maxBodyChars);
        truncated = true;
      }
      if (truncated) this.defects.add(defect);
      return { value, truncated };
    };
    if (this.salvage && this.texts.length === 0 && this.htmls.length === 0) {
      this.defects.add(this.salvageDefect);
      const bytes = Buffer.concat(this.salvage.chunks);
      this.texts.push(normaliseBreaks(decodeText(bytes, undefined).text));
      this.textSize = bytes.length;
      this.textCut = this.salvage.cut;
    }
    const text = cap(this.texts, this.textCut, 'text-truncated');
    const html = cap(this.htmls, this.htmlCut, 'html-truncated');
    return {
      ...(text.value !== undefined ? { text: text.value } : {}),
      ...(html.value !== undefined ? { html: html.value } : {}),
      textSize: this.textSize,
      htmlSize: this.htmlSize,
      textTruncated: text.truncated,
      htmlTruncated: html.truncated,
    };
  }

  private onNode(node: MimeNode): void {
    const depth = depthOf(node);
    if (depth > this.limits.maxDepth) throw new ParseError('PARSE_TOO_DEEP', `MIME nesting deeper than ${this.limits.maxDepth}`);
    if (node.root) {
      this.rootHeader = node.getHeaders();
      if (node.multipart) {
        this.salvage = new TextCollector(this.limits.maxBodyChars * 4 + 16);
        if (!node._boundary) this.salvageDefect = 'no-content-type-boundary';
      }
    }
    const parent = node.parentNode || undefined;
    if (parent?.root) this.salvage = undefined;
    const declared = (node.contentType || '').toLowerCase();
    // RFC 2045 section 5.2: no Content-Type means text/plain; RFC 2046 5.1.5: message/rfc822 in a digest.
    const contentType = declared || (parent?.multipart === 'digest' ? 'message/rfc822' : 'text/plain');
    const encoding = (node.encoding || '').toLowerCase();
    const charset = node.charset ? clean(String(node.charset), 64).toLowerCase() : undefined;
    const disposition = node.disposition ? clean(String(node.disposition), 64).toLowerCase() : undefined;
    const part: MimePart = {
      part: node.root ? '' : (node.partNr || []).join('.'),
      depth,
      contentType: clean(contentType, 255),
      ...(charset ? { charset } : {}),
      ...(disposition ? { disposition } : {}),
      ...(encoding ? { transferEncoding: clean(encoding, 64) } : {}),
      role: 'container',
    };
    this.parts.push(part);
    if (node.multipart) return;
    if (contentType.startsWith('multipart/')) this.defects.add('no-content-type-boundary');
    if (!isKnownTransferEncoding(encoding)) this.defects.add('unknown-transfer-encoding');
    part.role = roleOf(contentType, disposition, node.filename);
    const leaf: Leaf = {
      node,
      part,
      decoder: transferDecoder(encoding),
      held: EMPTY,
      trimLastBreak: Boolean(parent),
      size: 0,
    };
    if (part.role === 'text' || part.role === 'html') {
      if (part.role === 'text' && this.firstTextCharset === undefined && charset) this.firstTextCharset = charset;
      // Four octets per character covers UTF-8 and every legacy charset but escape-heavy ISO-2022.
      leaf.text = new TextCollector(this.limits.maxBodyChars * 4 + 16);
    } else if (this.options.attachments === false) {
      leaf.hash = createHash('sha256');
    } else {
      leaf.spool = new Spool(this.limits.spoolMemoryBytes, this.options.tempDir);
    }
    this.leaf = leaf;
  }

  private async feed(leaf: Leaf, value: Uint8Array): Promise<void> {
    if (!leaf.trimLastBreak) {
      await this.take(leaf, leaf.decoder.write(value));
      return;
    }
    // Hold back a final line break: if the part ends here it belongs to the boundary. The
    // splitter yields whole lines, so a break is never split across chunks.
    if (leaf.held.length) await this.take(leaf, leaf.decoder.write(leaf.held));
    const n = value.length;
    const hold = n >= 2 && value[n - 2] === 13 && value[n - 1] === 10 ? 2 : n >= 1 && (value[n - 1] === 10 || value[n - 1] === 13) ? 1 : 0;
    leaf.held = hold ? Uint8Array.from(value.subarray(n - hold)) : EMPTY;
    if (n - hold > 0) await this.take(leaf, leaf.decoder.write(value.subarray(0, n - hold)));
  }

  private async take(leaf: Leaf, bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    leaf.size += bytes.length;
    if (leaf.text) leaf.text.add(bytes);
    else if (leaf.spool) await leaf.spool.write(bytes);
    else leaf.hash?.update(bytes);
  }

  private endText(leaf: Leaf): void {
    const collector = leaf.text!;
    const decoded = decodeText(Buffer.concat(collector.chunks), leaf.part.charset);
    if (decoded.how === 'unknown' && leaf.part.charset) {
      this.defects.add('unknown-charset');
      this.unknownCharsets.add(leaf.part.charset);
    }
    let text = normaliseBreaks(decoded.text);
    // RFC 3676: format=flowed soft breaks are undone for the reader.
    if (leaf.part.role === 'text' && leaf.node.flowed) text = libmime.decodeFlowed(text, leaf.node.delSp);
    if (leaf.part.role === 'text') {
      this.texts.push(text);
      this.textSize += leaf.size;
      this.textCut ||= collector.cut;
    } else {
      this.htmls.push(text);
      this.htmlSize += leaf.size;
      this.htmlCut ||= collector.cut;
    }
  }

  /**
   * A filename written as raw 8-bit octets in a legacy charset (no RFC 2231/2047 label) reaches
   * us one code point per octet: read those octets like a raw 8-bit header value.
   */
  private raw8bitFilename(node: MimeNode, filename: string): string {
    if (!/[\x80-\xff]/.test(filename) || /[^\x00-\xff]/.test(filename)) return filename;
    if (!node.getHeaders().some((octet) => octet >= 0x80)) return filename;
    this.defects.add('raw-8bit-header');
    return decodeText(Buffer.from(filename, 'latin1'), undefined, this.firstTextCharset).text;
  }

  private async endAttachment(leaf: Leaf): Promise<void> {
    const { node, part } = leaf;
    const digest = leaf.spool ? await leaf.spool.finish() : { size: leaf.size, sha256: leaf.hash!.digest('hex') };
    const contentId = node.headers ? clean(node.headers.getFirst('content-id'), this.limits.maxValueChars).replace(/^<|>$/g, '') : '';
    const filename = node.filename ? clean(this.raw8bitFilename(node, String(node.filename)), this.limits.maxValueChars) : '';
    const info: AttachmentInfo = {
      ...(filename ? { filename } : {}),
      contentType: part.contentType,
      ...(part.disposition ? { disposition: part.disposition } : {}),
      ...(contentId ? { contentId } : {}),
      part: part.part,
      size: digest.size,
      sha256: digest.sha256,
    };
    if (leaf.spool) {
      const key = attachmentKey(this.options.messageKey, digest.sha256);
      info.key = key;
      try {
        // The same content twice in one message is one object.
        if (!this.storedKeys.has(key)) {
          await this.sink.put({ key, body: leaf.spool.read(), size: digest.size, sha256: digest.sha256, role: 'attachment', contentType: part.contentType, attachment: info });
          this.storedKeys.add(key);
        }
      } finally {
        await leaf.spool.dispose();
      }
    }
    part.attachment = this.attachments.length;
    this.attachments.push(info);
  }
}

/** Body text, HTML, or attachment: inline text/plain and text/html without a filename are the body. */
function roleOf(contentType: string, disposition: string | undefined, filename: string | false): Role {
  if (disposition === 'attachment' || filename) return 'attachment';
  if (contentType === 'text/plain' || contentType.startsWith('multipart/')) return 'text';
  if (contentType === 'text/html') return 'html';
  return 'attachment';
}

/** CRLF and lone CR become LF: what JSON consumers expect of text. */
function normaliseBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function depthOf(node: MimeNode): number {
  let depth = 0;
  for (let p = node.parentNode; p; p = p.parentNode) depth++;
  return depth;
}

async function* asBuffers(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function drain(input: Readable): Promise<void> {
  try {
    for await (const _chunk of input) {
      // discarded: the caller's tee (raw storage) still needs the rest
    }
  } catch {
    // the body's own error reaches the caller through the raw storage path
  }
}

/** Maps an error of the splitter to the catalogue. */
function asParseError(error: unknown): ParseError {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e && e.code === 'EMAXLEN') {
    const message = String(e.message);
    if (/child nodes/i.test(message)) return new ParseError('PARSE_TOO_MANY_PARTS', 'more MIME parts than the limit', { cause: error });
    return new ParseError('PARSE_HEADER_TOO_LARGE', 'a MIME header block is larger than the limit', { cause: error });
  }
  return new ParseError('PARSE_MALFORMED', `the MIME structure cannot be split: ${clean(String(e?.message ?? error), 200)}`, { cause: error });
}
