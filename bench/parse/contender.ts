/**
 * One parser on one message file, in its own process, printing one JSON line:
 * RSS before, peak RSS (VmHWM, reset before the run), time, and the attachment's SHA-256
 * (so a contender that skipped work cannot win). Linux only (/proc/self).
 *
 * usage: node --expose-gc --import tsx bench/parse/contender.ts <ours|mailparser|postal-mime> <file> [capBytes]
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { MailParser } from 'mailparser';
import PostalMime from 'postal-mime';
import { extractMessage, type AttachmentSink } from '../../lambda/parse/index.js';

type Contender = (file: string, out: string, cap: number) => Promise<string[]>;

/** Writes one attachment to a file of the output folder, like the local folder store; returns its SHA-256. */
async function store(body: AsyncIterable<Uint8Array> | Readable, out: string, n: number): Promise<string> {
  const hash = createHash('sha256');
  const sink = createWriteStream(join(out, `a${n}`));
  await pipeline(body, async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  }, sink);
  return hash.digest('hex');
}

const contenders: Record<string, Contender> = {
  // lambda/parse: @zone-eu/mailsplit splitter, own decoders, spool, sink.
  async ours(file, out) {
    const hashes: string[] = [];
    let n = 0;
    const sink: AttachmentSink = {
      async put(object) {
        const sha = await store(object.body, out, n++);
        if (object.role === 'attachment') hashes.push(sha);
        return { status: 'stored' };
      },
    };
    await extractMessage(createReadStream(file, { highWaterMark: 64 * 1024 }), { messageKey: 'bench/full/x.eml', tempDir: out }, sink);
    return hashes;
  },
  // mailparser's streaming MailParser: attachments arrive as streams, released after reading.
  async mailparser(file, out) {
    const hashes: string[] = [];
    const parser = new MailParser();
    let n = 0;
    const pending: Promise<void>[] = [];
    parser.on('data', (data: { type: string; content?: Readable; release?: () => void }) => {
      if (data.type !== 'attachment' || !data.content) return;
      pending.push(store(data.content, out, n++).then((sha) => {
        hashes.push(sha);
        data.release?.();
      }));
    });
    await pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), parser);
    await Promise.all(pending);
    return hashes;
  },
  // postal-mime: the whole message in one buffer, every attachment decoded into memory.
  async 'postal-mime'(file, out, cap) {
    const { size } = await stat(file);
    if (cap > 0 && size > cap) throw new Error(`refused: ${size} > cap ${cap}`);
    const email = await PostalMime.parse(await readFile(file), { attachmentEncoding: 'arraybuffer' });
    const hashes: string[] = [];
    let n = 0;
    for (const a of email.attachments) {
      const bytes = new Uint8Array(a.content as ArrayBuffer);
      hashes.push(await store(Readable.from([bytes]), out, n++));
    }
    return hashes;
  },
};

function statusKb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

const [name = '', file = '', capArg = '0'] = process.argv.slice(2);
const run = contenders[name];
if (!run || !file) {
  console.error(`usage: contender.ts <${Object.keys(contenders).join('|')}> <file> [capBytes]`);
  process.exit(2);
}
const out = await mkdtemp(join(tmpdir(), 'pop3-ingest-bench-parse-'));
const { size } = await stat(file);
(globalThis as { gc?: () => void }).gc?.();
// Linux: writing 5 to clear_refs resets VmHWM to the current RSS, so the peak is this run's.
writeFileSync('/proc/self/clear_refs', '5');
const before = statusKb('VmRSS');
const started = process.hrtime.bigint();
let error: string | undefined;
let hashes: string[] = [];
try {
  hashes = await run(file, out, Number(capArg));
} catch (e) {
  error = e instanceof Error ? e.message : String(e);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const peak = statusKb('VmHWM');
await rm(out, { recursive: true, force: true });
console.log(JSON.stringify({ name, size, beforeKb: before, peakKb: peak, growthKb: peak - before, ms: Math.round(ms), mbPerS: Math.round((size / 1048576 / (ms / 1000)) * 10) / 10, hashes, ...(error ? { error } : {}) }));
