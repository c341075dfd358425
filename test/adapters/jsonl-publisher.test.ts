/**
 * Threats: an event reported published that never reached the file (then the message may be
 * deleted with no event), or that reached a file whose own name a power cut can still lose. JsonLinesPublisher appends and fsyncs before answering ok, and reports
 * a failed write as ok:false for every event of the call.
 */
import { readFile, rename, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SYSTEM_SYNC } from '../../lambda/adapters/local/durable-fs.js';
import { JsonLinesPublisher, type JsonLinesEnvelope } from '../../lambda/adapters/local/jsonl-publisher.js';
import type { OutgoingEvent } from '../../lambda/sync/ports.js';
import { useTempDir } from '../support/temp-dir.js';

const events: OutgoingEvent[] = [
  { id: 'e1', detailType: 'Message Stored', detail: { key: 'm/1.eml', note: 'line\nbreak \u2028' }, time: new Date('2026-01-01T00:00:00Z') },
  { id: 'e2', detailType: 'Mailbox Polled', detail: { stored: 1 } },
];

describe('JsonLinesPublisher', () => {
  const dir = useTempDir('jsonl-');

  it('appends one EventBridge-like envelope per line to a private file', async () => {
    // Prepare
    const file = join(dir(), 'out', 'events.jsonl');
    const publisher = new JsonLinesPublisher({ file, source: 'pop3-ingest' });

    // Act
    const first = await publisher.publish(events);
    const second = await publisher.publish([{ id: 'e3', detailType: 'X', detail: {} }]);

    // Assess
    expect([...first, ...second]).toEqual([{ id: 'e1', ok: true }, { id: 'e2', ok: true }, { id: 'e3', ok: true }]);
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    const parsed = lines.slice(0, -1).map((line) => JSON.parse(line) as JsonLinesEnvelope);
    expect(parsed.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect(parsed[0]).toEqual({
      version: '0', id: 'e1', 'detail-type': 'Message Stored', source: 'pop3-ingest', time: '2026-01-01T00:00:00.000Z', resources: [],
      detail: { key: 'm/1.eml', note: 'line\nbreak \u2028' },
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('fsyncs the file once per publish and its directory on the first append and after the file was replaced (acknowledged events survive a power cut)', async () => {
    // Prepare
    const file = join(dir(), 'new', 'events.jsonl');
    const synced: string[] = [];
    const sync = {
      file: async (handle: FileHandle, path: string) => {
        await SYSTEM_SYNC.file(handle, path);
        synced.push(`file ${path}`);
      },
      dir: async (path: string) => {
        await SYSTEM_SYNC.dir(path);
        synced.push(`dir ${path}`);
      },
    };
    const publisher = new JsonLinesPublisher({ file, source: 'pop3-ingest', sync });

    // Act
    await publisher.publish(events);
    await publisher.publish(events);
    await rename(file, `${file}.1`);
    await publisher.publish(events);

    // Assess: the new folder's name lives in dir(); the file's in the new folder.
    expect(synced).toEqual([
      `dir ${dir()}`, `file ${file}`, `dir ${dirname(file)}`,
      `file ${file}`,
      `file ${file}`, `dir ${dirname(file)}`,
    ]);
  });

  it('writes to a stream such as stdout', async () => {
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const publisher = new JsonLinesPublisher({ stream, source: 'src' });

    const results = await publisher.publish(events);

    expect(results.every((r) => r.ok)).toBe(true);
    expect(written.trimEnd().split('\n').map((line) => (JSON.parse(line) as JsonLinesEnvelope)['detail-type'])).toEqual(['Message Stored', 'Mailbox Polled']);
  });

  it('answers ok:false for every event when the write fails', async () => {
    const broken = new Writable({ write: (_chunk, _enc, callback) => callback(new Error('EPIPE: reader went away')) });
    broken.on('error', () => undefined);
    const publisher = new JsonLinesPublisher({ stream: broken, source: 'src' });

    const results = await publisher.publish(events);

    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(results[0]!.error).toMatch(/EPIPE/);
  });

  it('answers ok:false when the file cannot be written', async () => {
    // A plain file where the folder should be: the append cannot succeed.
    await writeFile(join(dir(), 'blocker'), 'x');
    const blocked = new JsonLinesPublisher({ file: join(dir(), 'blocker', 'events.jsonl'), source: 'src' });

    const results = await blocked.publish(events);

    expect(results.map((r) => r.ok)).toEqual([false, false]);
  });

  it('needs exactly one of file and stream', () => {
    expect(() => new JsonLinesPublisher({ source: 's' })).toThrow(/exactly one/);
    expect(() => new JsonLinesPublisher({ source: 's', file: 'x', stream: new PassThrough() })).toThrow(/exactly one/);
  });
});
