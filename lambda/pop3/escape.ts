/**
 * Makes untrusted server text safe for a log line: control characters, backslashes and
 * non-ASCII bytes become \xNN, and the result is truncated. Server text never reaches a log,
 * an error message or a path without passing through here.
 */

/** Default length of escaped text kept in errors and logs. */
export const DEFAULT_ESCAPE_LIMIT = 200;

/**
 * Escapes bytes (or a latin1 string) as printable ASCII, at most `limit` input bytes. The result
 * is one flat string: appending character by character would leave a rope of one node per
 * character (about 30 octets each), which a listing of 40,000 rejected UIDs would keep alive.
 */
export function escapeServerText(input: string | Uint8Array, limit = DEFAULT_ESCAPE_LIMIT): string {
  const total = input.length;
  const end = Math.min(total, limit);
  // A latin1 string is one octet per character: only the part kept is converted.
  const bytes = typeof input === 'string'
    ? Buffer.from(input.length > end ? input.slice(0, end) : input, 'latin1')
    : Buffer.from(input.buffer, input.byteOffset, end);
  const parts: string[] = [];
  let run = 0;
  for (let i = 0; i < end; i++) {
    const b = bytes[i] as number;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) continue;
    if (i > run) parts.push(bytes.toString('latin1', run, i));
    parts.push(`\\x${b.toString(16).padStart(2, '0')}`);
    run = i + 1;
  }
  if (end > run) parts.push(bytes.toString('latin1', run, end));
  if (total > limit) parts.push(`...(+${total - limit} bytes)`);
  return parts.join('');
}
