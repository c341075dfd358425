import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema.js';
import { invocationBudget } from '../../lambda/handler/deadline.js';
import { selectMailboxes } from '../../lambda/handler/event.js';

describe('the invocation budget leaves time to finish cleanly before Lambda kills us', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const at = (d: Date) => d.getTime() - now.getTime();

  it('keeps 15% for finishing and 5% for recording on a long timeout', () => {
    const budget = invocationBudget(600_000, now);
    expect(at(budget.deadline)).toBe(510_000);
    expect(at(budget.abortAt)).toBe(570_000);
  });

  it('keeps at least 5 s and 2 s on a short timeout', () => {
    const budget = invocationBudget(20_000, now);
    expect(at(budget.deadline)).toBe(15_000);
    expect(at(budget.abortAt)).toBe(18_000);
  });

  it('starts nothing when almost no time is left, and never goes negative', () => {
    const budget = invocationBudget(1_000, now);
    expect(at(budget.deadline)).toBe(0);
    expect(at(budget.abortAt)).toBe(0);
    expect(at(invocationBudget(-5, now).deadline)).toBe(0);
  });
});

describe('the scheduler event selects mailboxes', () => {
  const config = parseConfig({
    mailboxes: ['a', 'b'].map((id) => ({ id, host: 'h', auth: { user: 'u', secret: { env: 'P' } } })),
  });
  const ids = (event: unknown) => selectMailboxes(event, config).map((m) => m.id);

  it('polls one mailbox by id, also inside an EventBridge detail', () => {
    expect(ids({ mailboxId: 'b' })).toEqual(['b']);
    expect(ids({ detail: { mailboxId: 'a' } })).toEqual(['a']);
  });

  it('polls all for "*", an empty event or no event', () => {
    expect(ids({ mailboxId: '*' })).toEqual(['a', 'b']);
    expect(ids({})).toEqual(['a', 'b']);
    expect(ids(undefined)).toEqual(['a', 'b']);
  });

  it('refuses an unknown or non-string id as a permanent error', () => {
    expect(() => ids({ mailboxId: 'c' })).toThrow(expect.objectContaining({ code: 'MAILBOX_UNKNOWN', category: 'permanent' }));
    expect(() => ids({ mailboxId: 7 })).toThrow(expect.objectContaining({ code: 'MAILBOX_UNKNOWN' }));
  });
});
