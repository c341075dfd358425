/**
 * The seen-state's LOGIN-DELAY record (document-level meta) and the 'seeded' kind survive a save
 * and a load through the real checkpoint code, and a malformed value is corruption, not "no
 * delay" (which would log in too early).
 */
import { describe, expect, it } from 'vitest';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';
import { messageKey } from '../../lambda/sync/keys.js';
import { assertLoginAllowed, loginAllowedAt, loginRecord, recordLogin } from '../../lambda/sync/login-delay.js';
import { emptyState } from '../../lambda/sync/state.js';
import { FakeClock } from '../support/fake-clock.js';
import { Faults } from '../support/faults.js';
import { MemoryStateStore } from '../support/memory-stores.js';

const now = new Date('2026-03-01T10:00:00Z');

describe('seen-state LOGIN-DELAY fields and seeded entries', () => {
  it('round-trip through a save and a load', async () => {
    const store = new MemoryStateStore({ faults: new Faults() });
    const clock = new FakeClock(now.getTime());
    const keeper = await StateKeeper.load(store, clock, 'inbox');
    recordLogin(keeper.state, { pipelining: true, uidl: true, top: true, loginDelaySeconds: 300 }, now);
    keeper.state.entries.set('u1', { firstSeen: now.toISOString(), key: 'mail/inbox/full/x.eml', kind: 'seeded', status: 'published', listSize: 10 });
    keeper.state.entries.set('u2', { firstSeen: now.toISOString(), key: 'mail/inbox/full/y.eml', kind: 'full', status: 'published', listSize: 10 });
    keeper.markDirty(2);
    await keeper.save();
    const parsed = (await StateKeeper.load(store, clock, 'inbox')).state;
    expect(loginRecord(parsed)).toEqual({ loginDelaySeconds: 300, lastLoginAt: now.toISOString() });
    expect(parsed.entries.get('u1')).toMatchObject({ kind: 'seeded', status: 'published' });
    expect(loginAllowedAt(parsed, new Date(now.getTime() + 299_000))).toEqual(new Date(now.getTime() + 300_000));
    expect(loginAllowedAt(parsed, new Date(now.getTime() + 300_000))).toBeUndefined();
  });

  it('a seeded entry kept in the compact columns stays seeded', async () => {
    const store = new MemoryStateStore({ faults: new Faults() });
    const clock = new FakeClock(now.getTime());
    const keeper = await StateKeeper.load(store, clock, 'inbox');
    keeper.state.entries.set('u1', { firstSeen: now.toISOString(), key: messageKey('mail/', 'inbox', 'u1', 'full'), kind: 'seeded', status: 'published', listSize: 10 });
    keeper.markDirty(1);
    await keeper.save();
    const parsed = (await StateKeeper.load(store, clock, 'inbox')).state;
    expect(parsed.entries.quietCount).toBe(1);
    expect(parsed.entries.get('u1')).toMatchObject({ kind: 'seeded', status: 'published', listSize: 10 });
  });

  it('a server that stops advertising LOGIN-DELAY clears the fields', () => {
    const state = emptyState('inbox', now);
    recordLogin(state, { pipelining: true, uidl: true, top: true, loginDelaySeconds: 300 }, now);
    expect(recordLogin(state, { pipelining: true, uidl: true, top: true }, now)).toBe(true);
    expect(loginRecord(state).loginDelaySeconds).toBeUndefined();
    expect(recordLogin(state, { pipelining: true, uidl: true, top: true }, now)).toBe(false);
  });

  it.each([
    [{ loginDelaySeconds: -5 }, /loginDelaySeconds/],
    [{ loginDelaySeconds: '300' }, /loginDelaySeconds/],
    [{ lastLoginAt: 'yesterday' }, /lastLoginAt/],
  ])('refuses %j as corrupt', (field, message) => {
    const state = emptyState('inbox', now);
    Object.assign(state.meta, { loginDelaySeconds: 300, lastLoginAt: now.toISOString() }, field);
    expect(() => assertLoginAllowed('inbox', state, now)).toThrow(message);
  });

  it('a last login in the future (clock skew) never holds a poll back longer than the delay', () => {
    const state = emptyState('inbox', now);
    Object.assign(state.meta, { loginDelaySeconds: 300, lastLoginAt: new Date(now.getTime() + 3_600_000).toISOString() });
    expect(loginAllowedAt(state, now)).toEqual(new Date(now.getTime() + 300_000));
  });
});
