import { describe, expect, it } from 'vitest';
import { SyncError } from '../../lambda/sync/errors.js';
import { emptyState, parseState, pruneState, serializeState, type SeenState } from '../../lambda/sync/state.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const now = new Date('2026-01-01T00:00:00Z');

function sample(): SeenState {
  const state = emptyState('inbox', now);
  state.entries.set('u1', { firstSeen: now.toISOString(), key: 'k1', kind: 'full', status: 'published', size: 10, sha256: 'a'.repeat(64) });
  state.entries.set('u2', {
    firstSeen: now.toISOString(),
    key: 'k2',
    kind: 'full',
    status: 'unpublished',
    event: { id: 'e2', detailType: 'Message Stored', detail: { a: 1 } },
  });
  return state;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    return (error as SyncError).code;
  }
  return undefined;
}

describe('seen-state document', () => {
  it('round-trips through serialize and parse', () => {
    const state = sample();
    expect(parseState(serializeState(state, now), 'inbox')).toEqual(state);
  });

  it('keeps a "__proto__" UID as data (prototype pollution through a server UID)', () => {
    // Prepare
    const state = sample();
    state.entries.set('__proto__', { firstSeen: now.toISOString(), key: 'kp', kind: 'full', status: 'published' });
    // Act
    const parsed = parseState(serializeState(state, now), 'inbox');
    // Assess
    expect(parsed.entries.get('__proto__')?.key).toBe('kp');
    expect(({} as Record<string, unknown>)['key']).toBeUndefined();
  });

  it.each([
    ['not JSON', 'not json {'],
    ['invalid UTF-8', '\xff'],
    ['JSON null', 'null'],
    ['wrong format tag', JSON.stringify({ format: 'x', schemaVersion: 1, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: {} })],
    ['uids not an object', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 1, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: [] })],
    ['bad entry status', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 1, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: { u: { firstSeen: now, key: 'k', kind: 'full', status: 'gone' } } })],
    ['invalid UID', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 1, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: { 'a b': { firstSeen: now, key: 'k', kind: 'full', status: 'published' } } })],
    ['unpublished without its event', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 1, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: { u: { firstSeen: now, key: 'k', kind: 'full', status: 'unpublished' } } })],
    ['bad date', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 1, mailboxId: 'inbox', epoch: 1, epochSince: 'yesterday', updatedAt: now, uids: {} })],
  ])('state-corrupt-never-all-new: %s is SYNC_STATE_CORRUPT', (_name, text) => {
    const body = text === '\xff' ? new Uint8Array([0xff]) : enc(text);
    expect(codeOf(() => parseState(body, 'inbox'))).toBe('SYNC_STATE_CORRUPT');
  });

  it('refuses a document from a newer schema or another mailbox', () => {
    const newer = JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 99, mailboxId: 'inbox' });
    expect(codeOf(() => parseState(enc(newer), 'inbox'))).toBe('SYNC_STATE_INCOMPATIBLE');
    expect(codeOf(() => parseState(serializeState(sample(), now), 'other'))).toBe('SYNC_STATE_INCOMPATIBLE');
  });

  it('prunes UIDs gone from the server but keeps unacknowledged ones (their event is still owed)', () => {
    const state = sample();
    expect(pruneState(state, new Set())).toBe(1);
    expect([...state.entries.keys()]).toEqual(['u2']);
  });
});
