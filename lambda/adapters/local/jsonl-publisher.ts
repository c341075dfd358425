/**
 * Publishes events as JSON lines, one EventBridge-like envelope per line: the CLI's stand-in
 * for EventBridgePublisher, to a file (appended and fsynced before ok) or a stream (stdout).
 */
import { dirname, resolve } from 'node:path';
import type { EventPublisher, OutgoingEvent, PublishResult } from '../../sync/ports.js';
import { AdapterError } from '../errors.js';
import { ensureDir, withDurableFile } from './durable-fs.js';

/** Options for JsonLinesPublisher: exactly one of `file` and `stream`. */
export interface JsonLinesPublisherOptions {
  /** Appended to (created 0600 if missing); each publish is fsynced before it resolves. */
  file?: string;
  /** E.g. process.stdout; each publish resolves once the stream has taken the data. */
  stream?: NodeJS.WritableStream;
  source: string;
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
  /** Publishes are serialised so lines from two calls never interleave. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: JsonLinesPublisherOptions) {
    if ((options.file === undefined) === (options.stream === undefined)) {
      throw new AdapterError('INVALID_CONFIG', 'permanent', 'JsonLinesPublisher needs exactly one of file and stream');
    }
    this.file = options.file === undefined ? undefined : resolve(options.file);
    this.stream = options.stream;
    this.source = options.source;
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
      if (this.file !== undefined) await appendDurably(this.file, data);
      else await writeToStream(this.stream as NodeJS.WritableStream, data);
    } catch (error) {
      const message = `writing events failed: ${error instanceof Error ? error.message : String(error)}`;
      return events.map((event) => ({ id: event.id, ok: false, error: message }));
    }
    return results;
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

async function appendDurably(file: string, data: string): Promise<void> {
  await ensureDir(dirname(file));
  // O_APPEND: each write lands at the end even with another writer on the same file.
  await withDurableFile(file, 'a+', async (handle) => {
    // A writer killed mid-append leaves a torn last line; end it first, or the next event
    // would share its line and be unreadable although we acknowledged it.
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.writeFile(prefix + data);
  });
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
