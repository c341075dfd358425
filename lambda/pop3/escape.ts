/**
 * Makes untrusted server text safe for a log line: control characters, backslashes and
 * non-ASCII bytes become \xNN, and the result is truncated. Server text never reaches a log,
 * an error message or a path without passing through here.
 */

/** Default length of escaped text kept in errors and logs. */
export const DEFAULT_ESCAPE_LIMIT = 200;

/** Escapes bytes (or a latin1 string) as printable ASCII, at most `limit` input bytes. */
export function escapeServerText(input: string | Uint8Array, limit = DEFAULT_ESCAPE_LIMIT): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const end = Math.min(bytes.length, limit);
  let out = '';
  for (let i = 0; i < end; i++) {
    const b = bytes[i] as number;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) {
      out += String.fromCharCode(b);
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
    }
  }
  return bytes.length > limit ? `${out}...(+${bytes.length - limit} bytes)` : out;
}
