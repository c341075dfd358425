import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambda/config/schema.js';
import { DEFAULT_POP3_LIMITS, MAX_MESSAGE_SIZE_HARD_CAP, POP3_LIMIT_BOUNDS, resolveLimits, type Pop3Limits } from '../../../lambda/pop3/limits.js';

describe('engine limits', () => {
  it('every default lies within its documented bounds', () => {
    for (const [key, [min, max]] of Object.entries(POP3_LIMIT_BOUNDS) as Array<[keyof Pop3Limits, readonly [number, number]]>) {
      expect(DEFAULT_POP3_LIMITS[key], key).toBeGreaterThanOrEqual(min);
      expect(DEFAULT_POP3_LIMITS[key], key).toBeLessThanOrEqual(max);
    }
  });

  it('refuses a value outside its bounds, naming the limit and the range', () => {
    expect(() => resolveLimits({ maxMessageSize: MAX_MESSAGE_SIZE_HARD_CAP + 1 })).toThrow(/maxMessageSize must be an integer from 1 to 1073741824/);
    expect(() => resolveLimits({ maxListingBytes: 2 ** 40 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxLineLength: 100 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxListingEntries: 1.5 })).toThrow(RangeError);
    expect(resolveLimits({ maxMessageSize: MAX_MESSAGE_SIZE_HARD_CAP }).maxMessageSize).toBe(MAX_MESSAGE_SIZE_HARD_CAP);
  });

  it("a config's limits.maxMessageSize can never exceed the engine's hard cap", () => {
    const mailbox = (maxMessageSize: number) => ({
      mailboxes: [{ id: 'm', host: 'h', auth: { user: 'u', secret: { env: 'P' } }, limits: { maxMessageSize } }],
    });

    expect(() => parseConfig(mailbox(MAX_MESSAGE_SIZE_HARD_CAP + 1))).toThrow(/maxMessageSize: expected at most 1073741824/);
    expect(parseConfig(mailbox(MAX_MESSAGE_SIZE_HARD_CAP)).mailboxes[0]?.limits.maxMessageSize).toBe(MAX_MESSAGE_SIZE_HARD_CAP);
  });
});
