/**
 * Threat: a poller SIGKILLed inside the events-file append (a multi-page write(2) can stop
 * between pages on a fatal signal) leaves a torn last line. That batch was never acknowledged,
 * so it is republished: fine. But the NEXT append is written right after the torn bytes, so its
 * first event shares a line with the fragment and no line-by-line reader can parse it, while the
 * publisher answered ok: the poller records it 'published' and, with a delete policy, DELEs it.
 * An event announced to nobody, for a message that may be gone from the server.
 *
 * Not seen in the hard-kill campaign (the window is microseconds); planted here by hand.
 * Fixed: appendDurably ends a torn last line with '\n' before appending.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonLinesPublisher } from '../../lambda/adapters/local/jsonl-publisher.js';

describe('jsonl-torn-tail-swallows-next-event', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hk-jsonl-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an event appended after a torn line is still a line of its own', async () => {
    // Prepare: one whole line, then what a kill mid-append leaves: half a line, no newline.
    const file = join(dir, 'events.jsonl');
    await writeFile(file, '{"version":"0","id":"e0","detail-type":"Message Stored","detail":{}}\n{"version":"0","id":"e1","detail-t');
    const publisher = new JsonLinesPublisher({ file, source: 'pop3-ingest' });

    // Act
    const [result] = await publisher.publish([{ id: 'e2', detailType: 'Message Stored', detail: { key: 'k' } }]);

    // Assess: acknowledged, so it must be readable by a consumer.
    expect(result).toEqual({ id: 'e2', ok: true });
    const ids = (await readFile(file, 'utf8')).split('\n').flatMap((line) => {
      try {
        return [(JSON.parse(line) as { id: string }).id];
      } catch {
        return [];
      }
    });
    expect(ids).toContain('e2');
  });
});
