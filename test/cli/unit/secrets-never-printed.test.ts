/**
 * Threat: a password (or server-controlled escape sequences) reaching the terminal or a log.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { CliLogger, escapeText, redactFields } from '../../../lambda/cli/output.js';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

describe('CLI logger', () => {
  it('redacts fields whose name looks like a secret, at any depth, in text and JSON', () => {
    for (const json of [false, true]) {
      const out = capture();
      const logger = new CliLogger({ level: 'debug', json, stream: out.stream });
      logger.info('login', { user: 'alice', password: 'hunter2', nested: { accessToken: 'tok-123', clientSecret: 's3' }, Authorization: 'Bearer x' });
      expect(out.text()).toContain('alice');
      for (const secret of ['hunter2', 'tok-123', 's3"', 'Bearer x']) expect(out.text()).not.toContain(secret);
    }
  });

  it('escapes control characters so server text cannot rewrite the terminal', () => {
    const out = capture();
    new CliLogger({ level: 'info', json: false, stream: out.stream }).warn('server said \x1b[2J\x1b]0;pwned\x07', { text: 'a\rb\x00' });
    expect(out.text()).not.toMatch(/[\x00\x07\x0d\x1b]/);
    expect(out.text()).toContain('\\x1b[2J');
    expect(escapeText('tab\tand\nnewline stay')).toBe('tab\tand\nnewline stay');
    expect(escapeText('x'.repeat(50), 10)).toBe('xxxxxxxxxx...');
  });

  it('honours the level: --quiet keeps warnings, drops info', () => {
    const out = capture();
    const logger = new CliLogger({ level: 'warn', json: false, stream: out.stream });
    logger.info('chatty');
    logger.debug('chattier');
    logger.warn('important');
    expect(out.text()).toBe('warn: important\n');
  });

  it('redactFields leaves ordinary values alone', () => {
    expect(redactFields({ count: 3, ok: true, list: [1, 2], host: 'h' })).toEqual({ count: 3, ok: true, list: [1, 2], host: 'h' });
  });
});
