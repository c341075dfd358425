/** SASLprep (RFC 4013): the section 3 examples, and prohibited characters refused without echo. */
import { describe, expect, it } from 'vitest';
import { saslprep } from '../../../lambda/pop3/auth/saslprep.js';

describe('saslprep', () => {
  it.each([
    ['I\u00ADX', 'IX'], // soft hyphen mapped to nothing
    ['user', 'user'],
    ['USER', 'USER'], // case preserved
    ['\u00AA', 'a'], // NFKC
    ['\u2168', 'IX'], // NFKC
    ['a\u00A0b', 'a b'], // non-ASCII space to space
  ])('prepares %j as %j (RFC 4013 section 3)', (input, output) => {
    expect(saslprep(input)).toBe(output);
  });

  it.each([['\u0007'], ['a\u200Eb'], ['\uE000'], ['\uFFFF'], ['\u{1FFFE}']])('refuses %j', (input) => {
    expect(() => saslprep(`secret${input}`, 'password')).toThrow(/password contains a character SASLprep prohibits/);
  });

  it('does not echo the value it refuses', () => {
    expect(() => saslprep('hunter2\u0007')).toThrow(expect.not.objectContaining({ message: expect.stringContaining('hunter2') }));
  });
});
