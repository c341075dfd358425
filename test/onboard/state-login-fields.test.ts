/**
 * The seen-state's document-level LOGIN-DELAY fields and the 'seeded' kind survive a save and a
 * load, and a malformed value is corruption, not "no delay" (which would log in too early).
 */
import { describe, expect, it } from 'vitest';
import { emptyState, parseState, serializeState } from '../../lambda/sync/state.js';
import { loginAllowedAt, recordLogin } from '../../lambda/sync/login-delay.js';

const now = new Date('2026-03-01T10:00:00Z');

describe('seen-state LOGIN-DELAY fields and seeded entries', () => {
  it('round-trip through serialize and parse', () => {
    const state = emptyState('inbox', now);
    recordLogin(state, { pipelining: true, uidl: true, top: true, loginDelaySeconds: 300 }, now);
    state.entries.set('u1', { firstSeen: now.toISOString(), key: 'mail/inbox/full/x.eml', kind: 'seeded', status: 'published', listSize: 10 });
    const parsed = parseState(serializeState(state, now), 'inbox');
    expect(parsed).toMatchObject({ loginDelaySeconds: 300, lastLoginAt: now.toISOString() });
    expect(parsed.entries.get('u1')).toMatchObject({ kind: 'seeded', status: 'published' });
    expect(loginAllowedAt(parsed, new Date(now.getTime() + 299_000))).toEqual(new Date(now.getTime() + 300_000));
    expect(loginAllowedAt(parsed, new Date(now.getTime() + 300_000))).toBeUndefined();
  });

  it('a server that stops advertising LOGIN-DELAY clears the fields', () => {
    const state = emptyState('inbox', now);
    recordLogin(state, { pipelining: true, uidl: true, top: true, loginDelaySeconds: 300 }, now);
    expect(recordLogin(state, { pipelining: true, uidl: true, top: true }, now)).toBe(true);
    expect(state.loginDelaySeconds).toBeUndefined();
    expect(recordLogin(state, { pipelining: true, uidl: true, top: true }, now)).toBe(false);
  });

  it.each([
    [{ loginDelaySeconds: -5 }, /loginDelaySeconds/],
    [{ loginDelaySeconds: '300' }, /loginDelaySeconds/],
    [{ lastLoginAt: 'yesterday' }, /lastLoginAt/],
  ])('refuses %j as corrupt', (field, message) => {
    const doc = JSON.parse(new TextDecoder().decode(serializeState(emptyState('inbox', now), now))) as Record<string, unknown>;
    expect(() => parseState(new TextEncoder().encode(JSON.stringify({ ...doc, ...field })), 'inbox')).toThrow(message);
  });

  it('a last login in the future (clock skew) never holds a poll back longer than the delay', () => {
    const state = { loginDelaySeconds: 300, lastLoginAt: new Date(now.getTime() + 3_600_000).toISOString() };
    expect(loginAllowedAt(state, now)).toEqual(new Date(now.getTime() + 300_000));
  });
});
