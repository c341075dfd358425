import { describe, expect, it } from 'vitest';
import { compileFilter, evaluateFilter } from '../../lambda/sync/filter.js';
import { SyncError } from '../../lambda/sync/errors.js';

describe('header filter', () => {
  const filter = compileFilter({
    rules: [
      { from: 'noreply@', action: 'skip' },
      { subject: '/^\\[invoice\\]/i', action: 'full' },
      { to: 'archive@', minSize: 1000, action: 'headers' },
    ],
    otherwise: 'headers',
  });

  it('first matching rule wins, substrings are case-insensitive', () => {
    expect(evaluateFilter(filter, { from: 'NoReply@Shop.test', subject: '[Invoice] 1' }, 10)).toEqual({ action: 'skip', rule: 0 });
    expect(evaluateFilter(filter, { from: 'a@b', subject: '[INVOICE] 2' }, 10)).toEqual({ action: 'full', rule: 1 });
  });

  it('requires all conditions of a rule; To also matches Cc', () => {
    expect(evaluateFilter(filter, { cc: 'archive@x' }, 2000)).toEqual({ action: 'headers', rule: 2 });
    expect(evaluateFilter(filter, { cc: 'archive@x' }, 10)).toEqual({ action: 'headers', rule: -1 });
  });

  it('rejects an invalid regular expression as a policy error', () => {
    expect(() => compileFilter({ rules: [{ subject: '/(/', action: 'skip' }], otherwise: 'full' })).toThrow(SyncError);
  });
});
