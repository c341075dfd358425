import { describe, expect, it } from 'vitest';
import { eventId, isValidMailboxId, messageKey, uidHash } from '../../lambda/sync/keys.js';

describe('keys: a server-controlled UID never becomes part of a path', () => {
  it('hashes the UID with the mailbox id (hex SHA-256)', () => {
    // Prepare
    const hash = uidHash('inbox', '../../etc/passwd');
    // Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(uidHash('inbox', '../../etc/passwd')).toBe(hash);
    expect(uidHash('other', '../../etc/passwd')).not.toBe(hash);
  });

  it('separates mailbox id and UID so ("a","bc") and ("ab","c") differ', () => {
    expect(uidHash('a', 'bc')).not.toBe(uidHash('ab', 'c'));
  });

  it('builds deterministic keys with no trace of the raw UID', () => {
    const key = messageKey('mail/', 'inbox', 'evil/../uid', 'full');
    expect(key).toBe(`mail/inbox/full/${uidHash('inbox', 'evil/../uid')}.eml`);
    expect(key).not.toContain('evil');
    expect(messageKey('mail/', 'inbox', 'evil/../uid', 'headers')).toContain('/headers/');
  });

  it('puts a new UID epoch in its own key space so a re-used UID cannot hit an old object', () => {
    expect(messageKey('', 'inbox', 'u1', 'full', 1)).toBe(messageKey('', 'inbox', 'u1', 'full'));
    expect(messageKey('', 'inbox', 'u1', 'full', 2)).toContain('inbox/e2/full/');
  });

  it('derives stable, distinct event ids per outcome', () => {
    const h = uidHash('inbox', 'u1');
    expect(eventId('inbox', h, 'stored')).toBe(eventId('inbox', h, 'stored'));
    expect(eventId('inbox', h, 'stored')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(eventId('inbox', h, 'skipped')).not.toBe(eventId('inbox', h, 'stored'));
    expect(eventId('inbox', h, 'stored', 2)).not.toBe(eventId('inbox', h, 'stored', 1));
  });

  it('accepts only safe mailbox ids', () => {
    expect(isValidMailboxId('inbox-1.support_2')).toBe(true);
    for (const bad of ['', 'Inbox', '../x', 'a/b', '-x', 'a..b', 'x'.repeat(129)]) expect(isValidMailboxId(bad)).toBe(false);
  });
});
