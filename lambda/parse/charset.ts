/**
 * Bytes to text for the charsets real mail uses. Total: an unknown or hostile label never
 * throws; it is reported and the bytes decode as UTF-8 when valid, else windows-1252.
 */
import iconv from 'iconv-lite';

/** Text plus how it was obtained. */
export interface DecodedText {
  text: string;
  /** The charset actually used (WHATWG or iconv-lite name, lower case). */
  charset: string;
  /**
   * - labelled: the declared charset decoded the bytes.
   * - guessed: no charset was declared (or only us-ascii with 8-bit bytes): UTF-8 if valid, else the fallback.
   * - unknown: the declared charset is not one we decode (reported as a defect).
   */
  how: 'labelled' | 'guessed' | 'unknown';
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

// UTF-7 lets markup past filters (+ADw-script+AD4-); base64/hex are not charsets at all.
const REFUSED = /^(utf-?7|unicode-1-1-utf-7|csunicode11utf7|utf7-imap|base64|hex|binary)$/;
// Labels whose WHATWG meaning is windows-1252: Node 20's TextDecoder decodes that as ISO-8859-1
// (0x80 is U+0080, not the euro sign), so iconv-lite's table is used instead.
const WINDOWS_1252 = /^(windows-1252|cp1252|x-cp1252|iso-?8859-?1|iso_8859-1(:1987)?|latin-?1|l1|cp819|ibm819|iso-ir-100|csisolatin1)$/;
const ASCII = /^(us-?ascii|ascii|ansi_x3\.4-1968|iso646-us|7bit|8bit)$/;

/**
 * Decodes `bytes` as `label`. `fallback` is the charset tried for unlabelled 8-bit text that is
 * not valid UTF-8 (e.g. the charset of the message's first text part for raw 8-bit headers).
 */
export function decodeText(bytes: Uint8Array, label: string | false | undefined, fallback = 'windows-1252'): DecodedText {
  const name = normaliseLabel(label);
  if (!name || ASCII.test(name)) {
    if (isAscii(bytes)) return { text: latin1(bytes), charset: 'us-ascii', how: name ? 'labelled' : 'guessed' };
    return guess(bytes, fallback);
  }
  if (REFUSED.test(name)) return { ...guess(bytes, fallback), how: 'unknown' };
  const decoded = tryDecode(bytes, name);
  if (decoded) return { text: decoded.text, charset: decoded.charset, how: 'labelled' };
  return { ...guess(bytes, fallback), how: 'unknown' };
}

/** True when `label` names a charset decodeText can decode. */
export function isKnownCharset(label: string): boolean {
  const name = normaliseLabel(label);
  if (!name || ASCII.test(name)) return true;
  return !REFUSED.test(name) && tryDecode(new Uint8Array(0), name) !== undefined;
}

function guess(bytes: Uint8Array, fallback: string): DecodedText {
  try {
    return { text: utf8Strict.decode(bytes), charset: 'utf-8', how: 'guessed' };
  } catch {
    const name = normaliseLabel(fallback);
    const decoded = name && !REFUSED.test(name) && !ASCII.test(name) ? tryDecode(bytes, name) : undefined;
    return decoded ? { ...decoded, how: 'guessed' } : { text: iconv.decode(Buffer.from(bytes), 'windows-1252'), charset: 'windows-1252', how: 'guessed' };
  }
}

function tryDecode(bytes: Uint8Array, name: string): { text: string; charset: string } | undefined {
  if (WINDOWS_1252.test(name)) return { text: iconv.decode(Buffer.from(bytes), 'windows-1252'), charset: 'windows-1252' };
  try {
    // WHATWG Encoding covers what mail uses most (ISO-2022-JP, Shift_JIS, EUC-JP, GBK/GB18030,
    // Big5, EUC-KR, KOI8-R/U, windows-125x, ISO-8859-x) and maps the labels mailers write.
    const decoder = new TextDecoder(name, { fatal: false });
    if (decoder.encoding !== 'replacement') return { text: decoder.decode(bytes), charset: decoder.encoding };
  } catch {
    // Not a WHATWG label (or a Node built without full ICU): try iconv-lite's tables.
  }
  if (iconv.encodingExists(name)) return { text: iconv.decode(Buffer.from(bytes), name), charset: name };
  return undefined;
}

/** Lower case, trimmed, quotes and RFC 2231 language suffix ("utf-8*en") removed; '' when absent. */
function normaliseLabel(label: string | false | undefined): string {
  if (!label) return '';
  return label.trim().replace(/^["']|["']$/g, '').replace(/\*.*$/, '').toLowerCase().trim();
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
