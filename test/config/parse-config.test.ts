/**
 * `parse` per mailbox: off unless given, ranges checked with the fix in the message, carried to
 * the sync core's MailboxPolicy; `poll --parse` turns it on for flag-defined and config mailboxes.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../lambda/cli/args.js';
import { POLL_SPEC } from '../../lambda/cli/commands/specs.js';
import { configFromFlags } from '../../lambda/cli/flags-config.js';
import { toMailboxPolicy } from '../../lambda/compose/policy.js';
import { ConfigError, parseConfig } from '../../lambda/config/schema.js';

const auth = { user: 'u', secret: { env: 'P' } };
const mailbox = (extra: Record<string, unknown> = {}) => ({ mailboxes: [{ id: 'a', host: 'h', auth, ...extra }] });

function issues(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('accepted');
}

describe('parse configuration', () => {
  it('is off by default and on with attachments stored when given as {}', () => {
    expect(toMailboxPolicy(parseConfig(mailbox()).mailboxes[0]!).parse).toBeUndefined();
    expect(toMailboxPolicy(parseConfig(mailbox({ parse: {} })).mailboxes[0]!).parse).toEqual({ attachments: true });
    expect(toMailboxPolicy(parseConfig(mailbox({ parse: { attachments: false, maxBodyChars: 5000 } })).mailboxes[0]!).parse).toEqual({ attachments: false, maxBodyChars: 5000 });
  });

  it('refuses out-of-range and misspelt fields, naming the field and the accepted values', () => {
    expect(issues(mailbox({ parse: { maxBodyChars: -1 } }))).toEqual(['mailboxes[0].parse.maxBodyChars: expected a whole number of characters 0-5000000']);
    expect(issues(mailbox({ parse: { maxBodyChars: 6_000_000 } }))[0]).toMatch(/parse\.maxBodyChars: expected at most 5000000 characters/);
    expect(issues(mailbox({ parse: { attachment: true } }))[0]).toMatch(/parse\.attachment: unknown field/);
    expect(issues(mailbox({ parse: { attachments: 'yes' } }))).toEqual(['mailboxes[0].parse.attachments: expected true or false']);
    expect(issues(mailbox({ parse: true }))[0]).toMatch(/mailboxes\[0\]\.parse: expected an object/);
    expect(issues(mailbox({ mode: 'headers', parse: {} }))[0]).toMatch(/parse: parse needs full messages/);
  });

  it('poll --parse enables it for a flag mailbox, and a config mailbox keeps its own settings', async () => {
    const flags = await configFromFlags(parseCommandArgs(['--host', 'h', '--user', 'u', '--password-env', 'P', '--parse'], POLL_SPEC), { requireLogin: true });
    expect(flags.mailboxes[0]!.parse).toEqual({ attachments: true });
    const without = await configFromFlags(parseCommandArgs(['--host', 'h', '--user', 'u', '--password-env', 'P'], POLL_SPEC), { requireLogin: true });
    expect(without.mailboxes[0]!.parse).toBeUndefined();
    await expect(configFromFlags(parseCommandArgs(['--host', 'h', '--user', 'u', '--password-env', 'P', '--parse', '--mode', 'headers'], POLL_SPEC), { requireLogin: true }))
      .rejects.toThrow(/--parse: parse needs full messages/);
  });
});
