/**
 * SASLprep (RFC 4013), the stringprep profile SCRAM applies to user names and passwords
 * (RFC 5802 section 5.1). ASCII strings pass through unchanged unless they hold a control
 * character; non-ASCII text is mapped, NFKC-normalised and checked for prohibited code points.
 *
 * Not implemented: the unassigned-code-point check (A.1, optional for "queries", RFC 4013
 * section 2.5) and the bidirectional rule (RFC 3454 section 6); a string failing them is sent
 * as is, and a server that does check them refuses the login.
 */
import { Pop3Error } from '../errors.js';

type Range = readonly [number, number];

/** RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020 (RFC 4013 section 2.1). */
const NON_ASCII_SPACE: readonly Range[] = [[0x00a0, 0x00a0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];

/** RFC 3454 B.1: "commonly mapped to nothing" (RFC 4013 section 2.1). */
const MAPPED_TO_NOTHING: readonly Range[] = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d], [0x2060, 0x2060],
  [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
];

/**
 * RFC 4013 section 2.3: prohibited output. C.2.1/C.2.2 control characters, C.3 private use,
 * C.4 non-characters, C.5 surrogates (lone ones in a JS string), C.6 inappropriate for plain
 * text, C.7 for canonical representation, C.8 change display properties, C.9 tagging.
 * (Code point ranges rather than a regex: combining code points confuse regex linters.)
 */
const PROHIBITED: readonly Range[] = [
  [0x0000, 0x001f], [0x007f, 0x009f], // C.2.1, C.2.2
  [0x06dd, 0x06dd], [0x070f, 0x070f], [0x180e, 0x180e], [0x200c, 0x200d], [0x2028, 0x2029], // C.2.2
  [0x2060, 0x2063], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc], [0x1d173, 0x1d17a], // C.2.2
  [0xe000, 0xf8ff], [0xf0000, 0xffffd], [0x100000, 0x10fffd], // C.3
  [0xfdd0, 0xfdef], // C.4 (the xFFFE/xFFFF of every plane are checked below)
  [0xd800, 0xdfff], // C.5
  [0xfff9, 0xfffd], // C.6
  [0x2ff0, 0x2ffb], // C.7
  [0x0340, 0x0341], [0x200e, 0x200f], [0x202a, 0x202e], // C.8
  [0xe0001, 0xe0001], [0xe0020, 0xe007f], // C.9
];

function inRanges(cp: number, ranges: readonly Range[]): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

function isProhibited(cp: number): boolean {
  // C.4: U+xFFFE and U+xFFFF in every plane.
  return (cp & 0xfffe) === 0xfffe || inRanges(cp, PROHIBITED);
}

/** RFC 4013 SASLprep; throws POP3_INVALID_CREDENTIALS (naming only `what`) on a prohibited character. */
export function saslprep(input: string, what = 'credential'): string {
  // Fast path: printable ASCII is its own SASLprep output.
  if (/^[\x20-\x7E]*$/.test(input)) return input;
  let mapped = '';
  for (const char of input) {
    const cp = char.codePointAt(0) as number;
    if (inRanges(cp, MAPPED_TO_NOTHING)) continue;
    mapped += inRanges(cp, NON_ASCII_SPACE) ? ' ' : char;
  }
  const normalized = mapped.normalize('NFKC');
  if ([...normalized].some((char) => isProhibited(char.codePointAt(0) as number))) {
    // Never echo the value: it may be a password.
    throw new Pop3Error('POP3_INVALID_CREDENTIALS', `the ${what} contains a character SASLprep prohibits (RFC 4013 section 2.3)`);
  }
  return normalized;
}
