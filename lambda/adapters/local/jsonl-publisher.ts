/**
 * Publishes events as JSON lines, one EventBridge-like envelope per line: the CLI's stand-in
 * for EventBridgePublisher, to a file or a stream (stdout).
 *
 * A file gets each publish() as one append (one write(2)) and one fsync before any event of it
 * is ok. The file's own name must survive a crash too (issue 9 item 9): the first append of
 * this publisher to a file (the file it created, or one a killed run created and never synced)
 * also fsyncs its directory, and so does the first append after the file was replaced.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { EventPublisher, OutgoingEvent, PublishResult } from '../../sync/ports.js';
import { AdapterError } from '../errors.js';
import { writeAll } from '../file-io.js';
import { DIR_MODE, FILE_MODE, SYSTEM_SYNC, type DurableSync } from './durable-fs.js';

/** Options for JsonLinesPublisher: exactly one of `file` and `stream`. */
export interface JsonLinesPublisherOptions {
  /** Appended to (created 0600 if missing); each publish is fsynced before it resolves. */
  file?: string;
  /** E.g. process.stdout; each publish resolves once the stream has taken the data. */
  stream?: NodeJS.WritableStream;
  source: string;
  /** How a file append is made durable (default SYSTEM_SYNC). */
  sync?: DurableSync;
}

/** The envelope written per line, shaped like an EventBridge event as a rule target sees it. */
export interface JsonLinesEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** EventPublisher writing JSON lines to a file or a stream. */
export class JsonLinesPublisher implements EventPublisher {
  private readonly file: string | undefined;
  private readonly stream: NodeJS.WritableStream | undefined;
  private readonly source: string;
  private readonly sync: DurableSync;
  /** The file (device:inode) whose directory entry this publisher has synced; another needs it again. */
  private syncedEntry: string | undefined;
  /** Publishes are serialised so lines from two calls never interleave. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: JsonLinesPublisherOptions) {
    if ((options.file === undefined) === (options.stream === undefined)) {
      throw new AdapterError('INVALID_CONFIG', 'permanent', 'JsonLinesPublisher needs exactly one of file and stream');
    }
    this.file = options.file === undefined ? undefined : resolve(options.file);
    this.stream = options.stream;
    this.source = options.source;
    this.sync = options.sync ?? SYSTEM_SYNC;
  }

  /** Writes one line per event; all ok once durable (file) or accepted (stream), else all failed. */
  publish(events: readonly OutgoingEvent[]): Promise<PublishResult[]> {
    const run = this.tail.then(() => this.write(events));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(events: readonly OutgoingEvent[]): Promise<PublishResult[]> {
    if (events.length === 0) return [];
    const now = new Date();
    const lines: string[] = [];
    const results: PublishResult[] = [];
    for (const event of events) {
      try {
        lines.push(`${JSON.stringify(this.envelope(event, now))}\n`);
        results.push({ id: event.id, ok: true });
      } catch (error) {
        results.push({ id: event.id, ok: false, error: `detail is not serialisable: ${String(error)}` });
      }
    }
    const data = lines.join('');
    try {
      if (this.file !== undefined) await this.appendDurably(this.file, data);
      else await writeToStream(this.stream as NodeJS.WritableStream, data);
    } catch (error) {
      const message = `writing events failed: ${error instanceof Error ? error.message : String(error)}`;
      return events.map((event) => ({ id: event.id, ok: false, error: message }));
    }
    return results;
  }

  private async appendDurably(file: string, data: string): Promise<void> {
    const folder = dirname(file);
    if (this.syncedEntry === undefined) {
      // A folder we create is a new name in its parent: sync each parent up to the first that existed.
      const first = await mkdir(folder, { recursive: true, mode: DIR_MODE });
      if (first !== undefined) {
        for (let dir = dirname(folder); ; dir = dirname(dir)) {
          await this.sync.dir(dir);
          if (dir === dirname(first) || dir === dirname(dir)) break;
        }
      }
    }
    let handle: FileHandle | undefined;
    try {
      // O_APPEND: each write lands at the end even with another writer on the same file.
      handle = await open(file, 'a+', FILE_MODE);
      // A writer killed mid-append leaves a torn last line; end it first, or the next event
      // would share its line and be unreadable although we acknowledged it.
      const stats = await handle.stat();
      let prefix = '';
      if (stats.size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, stats.size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await writeAll(handle, Buffer.from(prefix + data, 'utf8'));
      await this.sync.file(handle, file);
      const entry = `${stats.dev}:${stats.ino}`;
      if (entry !== this.syncedEntry) {
        await this.sync.dir(folder);
        this.syncedEntry = entry;
      }
    } catch (error) {
      // Whatever failed (a removed folder, a full disk), the next append starts from scratch.
      this.syncedEntry = undefined;
      throw error;
    } finally {
      await handle?.close();
    }
  }

  private envelope(event: OutgoingEvent, now: Date): JsonLinesEnvelope {
    return {
      version: '0',
      id: event.id,
      'detail-type': event.detailType,
      source: this.source,
      time: (event.time ?? now).toISOString(),
      resources: [],
      detail: event.detail,
    };
  }
}

function writeToStream(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise<void>((resolveWrite, reject) => {
    const onError = (error: Error): void => reject(error);
    stream.once('error', onError);
    stream.write(data, (error?: Error | null) => {
      stream.removeListener('error', onError);
      if (error) reject(error);
      else resolveWrite();
    });
  });
}
