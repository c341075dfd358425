/**
 * The hard-kill audit must be able to fail: each violation it exists to catch, planted by hand,
 * is counted. (A campaign whose checker cannot see a loss proves nothing.)
 */
import { describe, expect, it } from 'vitest';
import { audit, readEvents, type EventsView, type Expected } from './audit.js';
import { sha256 } from './harness.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const a = Buffer.from('Subject: a\r\n\r\nA\r\n');
const b = Buffer.from('Subject: b\r\n\r\nB\r\n');
const keyA = 'mail/m/full/aaaa.eml';
const keyB = 'mail/m/full/bbbb.eml';
const expected: Expected = { shas: new Set([sha256(a), sha256(b)]), keys: new Map([[sha256(a), keyA], [sha256(b), keyB]]) };

function announced(...entries: Array<[Buffer, string]>): EventsView {
  const view: EventsView = { stored: new Map(), lines: entries.length, badLines: 0 };
  for (const [bytes, key] of entries) {
    const uidHash = key.slice(key.lastIndexOf('/') + 1, -'.eml'.length);
    view.stored.set(sha256(bytes), [...(view.stored.get(sha256(bytes)) ?? []), { key, uidHash, id: 'x' }]);
  }
  return view;
}

describe('hard-kill audit', () => {
  it('passes a clean end state: both stored once, announced, gone from the server', () => {
    const objects = new Map([[keyA, a], [keyB, b]]);
    const result = audit(expected, objects, announced([a, keyA], [b, keyB]), new Set());
    expect(result).toMatchObject({ notStored: 0, duplicateObjects: 0, corruptObjects: 0, wrongKeys: 0, unannounced: 0, deletedUnsafely: 0 });
  });

  it('counts a message deleted from the server with no object, and one deleted before its event', () => {
    const objects = new Map([[keyB, b]]);
    const result = audit(expected, objects, announced(), new Set());
    expect(result).toMatchObject({ notStored: 1, unannounced: 1, deletedUnsafely: 2 });
  });

  it('counts a second object for the same message, a corrupt object and a wrong key', () => {
    const objects = new Map([[keyA, a], ['mail/m/e2/full/aaaa.eml', a], [keyB, Buffer.from('Subject: b\r\n\r\nX\r\n')]]);
    const result = audit(expected, objects, announced([a, keyA]), new Set([sha256(b)]));
    expect(result).toMatchObject({ duplicateObjects: 1, corruptObjects: 1, notStored: 1, deletedUnsafely: 0 });
    const swapped = new Map([[keyB, a]]);
    expect(audit(expected, swapped, announced([a, keyB]), new Set([sha256(b)])).wrongKeys).toBe(1);
  });

  it('counts a torn line in the events file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hk-audit-'));
    try {
      const file = join(dir, 'events.jsonl');
      writeFileSync(file, '{"id":"1","detail-type":"Message Stored","detail":{"sha256":"00","key":"k","uidHash":"h"}}\n{"id":"2","det{"id":"3"}\n');
      const view = await readEvents(file);
      expect(view).toMatchObject({ lines: 2, badLines: 1 });
      expect(view.stored.get('00')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
