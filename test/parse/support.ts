/**
 * Test helpers for lambda/parse: a memory sink that behaves like a conditional-create store
 * (reads every body to its end, checks the announced size and SHA-256), and chunked bodies.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { AttachmentSink, ParsedObject } from '../../lambda/parse/index.js';

/** What the memory sink holds per key. */
export interface StoredBytes {
  object: Omit<ParsedObject, 'body'>;
  bytes: Buffer;
}

/** A sink that keeps objects in a Map, never overwrites, and can fail on the Nth put. */
export class MemorySink implements AttachmentSink {
  readonly objects = new Map<string, StoredBytes>();
  puts = 0;

  constructor(private readonly failOnPut?: { nth: number; error: Error }) {}

  async put(object: ParsedObject): Promise<{ status: 'stored' | 'already-stored' | 'conflict' }> {
    this.puts++;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
    if (this.failOnPut && this.puts === this.failOnPut.nth) throw this.failOnPut.error;
    const bytes = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== object.size || sha256 !== object.sha256) throw new Error(`announced size/sha256 do not match the body of ${object.key}`);
    const existing = this.objects.get(object.key);
    if (existing) return { status: existing.bytes.equals(bytes) ? 'already-stored' : 'conflict' };
    const { body: _body, ...rest } = object;
    this.objects.set(object.key, { object: rest, bytes });
    return { status: 'stored' };
  }
}

/** `bytes` as an async body cut at the given sizes (repeated), like a socket would. */
export async function* chunked(bytes: Uint8Array, sizes: readonly number[] = [bytes.length || 1]): AsyncGenerator<Uint8Array> {
  let i = 0;
  for (let offset = 0; offset < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    yield bytes.slice(offset, offset + n);
    offset += n;
  }
}

/** A body that counts how many chunks were pulled from it. */
export function counted(bytes: Uint8Array, size: number): { body: AsyncGenerator<Uint8Array>; pulled: () => number; total: number } {
  let pulled = 0;
  const body = (async function* () {
    for await (const chunk of chunked(bytes, [size])) {
      pulled++;
      yield chunk;
    }
  })();
  return { body, pulled: () => pulled, total: Math.ceil(bytes.length / size) };
}

/** Folder of the MIME corpus. */
export const CORPUS_DIR = new URL('./corpus/', import.meta.url);

/** Names (without .eml) of the corpus messages. */
export function corpusNames(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** The raw octets of one corpus message. */
export function corpusMessage(name: string): Buffer {
  return readFileSync(new URL(`${name}.eml`, CORPUS_DIR));
}

/** The message key the corpus tests store under. */
export const MESSAGE_KEY = 'mail/inbox/full/0f1e2d3c.eml';
