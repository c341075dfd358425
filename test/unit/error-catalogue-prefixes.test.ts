/**
 * Guards the error catalogues against drifting apart: each layer's codes carry that layer's
 * prefix (so a consumer can tell the layer from the code, as cli/exit-codes.ts does with CONFIG_
 * and cli/advice.ts with SECRET_), no code is spelled in two catalogues with two meanings, and the
 * port-level codes of sync/ports.ts are the very codes the engine and the adapters raise.
 */
import { describe, expect, it } from 'vitest';
import { ADAPTER_ERROR_CODES } from '../../lambda/adapters/errors.js';
import { OAUTH_ERROR_CODES } from '../../lambda/adapters/oauth/errors.js';
import { SECRET_ERROR_CODES } from '../../lambda/adapters/secrets/errors.js';
import { CLI_ERROR_CODES, CliError } from '../../lambda/cli/errors.js';
import { CONFIG_ERROR_CODES, ConfigError } from '../../lambda/config/errors.js';
import { INVOCATION_ERROR_CODES } from '../../lambda/handler/errors.js';
import { PARSE_ERROR_CODES } from '../../lambda/parse/errors.js';
import { POP3_ERROR_CODES } from '../../lambda/pop3/index.js';
import { classifyError } from '../../lambda/shared/errors.js';
import { SYNC_ERROR_CODES } from '../../lambda/sync/errors.js';
import { POP3_UNSUPPORTED, STATE_CONFLICT } from '../../lambda/sync/ports.js';

/** Each catalogue, the prefix of its layer, and the codes that kept an older name because users see them. */
const CATALOGUES = [
  { name: 'pop3', codes: Object.keys(POP3_ERROR_CODES), prefixes: ['POP3_'], kept: [] },
  { name: 'sync', codes: Object.keys(SYNC_ERROR_CODES), prefixes: ['SYNC_'], kept: [] },
  { name: 'parse', codes: Object.keys(PARSE_ERROR_CODES), prefixes: ['PARSE_'], kept: [] },
  // Handler results and docs/deploy.md already show these two.
  { name: 'config', codes: Object.keys(CONFIG_ERROR_CODES), prefixes: ['CONFIG_'], kept: ['MAILBOX_UNKNOWN', 'EVENT_INVALID'] },
  { name: 'cli', codes: Object.keys(CLI_ERROR_CODES), prefixes: ['CLI_'], kept: [] },
  // Named for the port that failed; "Mailbox Polled" events and the tests of each adapter carry them.
  { name: 'adapters', codes: [...ADAPTER_ERROR_CODES], prefixes: ['STORE_', 'STATE_', 'PUBLISH_', 'LEASE_', 'INVALID_'], kept: [] },
  { name: 'oauth', codes: Object.keys(OAUTH_ERROR_CODES), prefixes: ['OAUTH_'], kept: [] },
  { name: 'secrets', codes: Object.keys(SECRET_ERROR_CODES), prefixes: ['SECRET_'], kept: [] },
  { name: 'handler', codes: Object.keys(INVOCATION_ERROR_CODES), prefixes: ['INVOCATION_'], kept: [] },
];

describe('error catalogues: one prefix per layer', () => {
  it.each(CATALOGUES)('every $name code carries its prefix (or is a kept, documented name)', ({ codes, prefixes, kept }) => {
    const stray = codes.filter((code) => !prefixes.some((p) => code.startsWith(p)) && !kept.includes(code));
    expect(stray).toEqual([]);
  });

  it('no code appears in two catalogues', () => {
    const all = CATALOGUES.flatMap((c) => c.codes);
    expect(all.filter((code, i) => all.indexOf(code) !== i)).toEqual([]);
  });

  it('the port-level codes are the ones the engine and the adapters raise', () => {
    expect(Object.keys(POP3_ERROR_CODES)).toContain(POP3_UNSUPPORTED);
    expect(ADAPTER_ERROR_CODES).toContain(STATE_CONFLICT);
  });

  it('config and usage errors are permanent: the same input fails the same way', () => {
    expect(Object.values(CONFIG_ERROR_CODES).every((c) => c === 'permanent')).toBe(true);
    expect(classifyError(new ConfigError('MAILBOX_UNKNOWN', 'x'))).toEqual({ category: 'permanent', retryable: false, code: 'MAILBOX_UNKNOWN' });
    const usage = new CliError('CLI_USAGE', 'bad flag', { hint: '--help' });
    expect(usage).toMatchObject({ name: 'CliError', code: 'CLI_USAGE', category: 'permanent', retryable: false, hint: '--help' });
  });
});
