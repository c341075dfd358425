import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transferDecoder } from '../../lambda/parse/transfer.js';

function decodeSplit(encoding: string, input: Uint8Array, cuts: number[]): Buffer {
  const decoder = transferDecoder(encoding);
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const cut of [...cuts.map((c) => c % (input.length + 1)).sort((a, b) => a - b), input.length]) {
    out.push(decoder.write(input.subarray(offset, Math.max(offset, cut))));
    offset = Math.max(offset, cut);
  }
  out.push(decoder.end());
  return Buffer.concat(out);
}

/** RFC 2045 base64 with CRLF every `width` characters. */
function base64Lines(bytes: Uint8Array, width: number): Buffer {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

/** RFC 2045 quoted-printable: everything but safe ASCII as =XX, soft breaks every ~60 characters. */
function quotedPrintable(bytes: Uint8Array): Buffer {
  let out = '';
  let line = 0;
  for (const b of bytes) {
    const token = b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line + token.length > 60) {
      out += '=\r\n';
      line = 0;
    }
    out += token;
    line += token.length;
  }
  return Buffer.from(out, 'latin1');
}

describe('transfer decoders: same octets whatever the chunking (RFC 2045 section 6)', () => {
  it('base64 decodes any bytes, any line width, cut anywhere (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 4, max: 200 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, width, cuts) => {
        expect(decodeSplit('base64', base64Lines(bytes, width), cuts).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('base64 stops at padding, skips characters outside the alphabet, accepts base64url', () => {
    expect(decodeSplit('base64', Buffer.from('QUJD\r\n!!REVG=\r\nIGNORED'), [5]).toString()).toBe('ABCDEF');
    expect(decodeSplit('BASE64', Buffer.from('QU-_'), []).equals(Buffer.from([0x41, 0x4f, 0xbf]))).toBe(true);
    expect(decodeSplit('base64', Buffer.from('QUI'), [1, 2]).toString()).toBe('AB');
  });

  it('quoted-printable decodes any bytes, cut anywhere (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        expect(decodeSplit('quoted-printable', quotedPrintable(bytes), cuts).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('quoted-printable: trailing whitespace dropped, soft breaks with padding, malformed "=" kept', () => {
    const input = Buffer.from('a  \r\nb=  \r\nc=4x=3D\r\nd=\r\n');
    for (let cut = 0; cut <= input.length; cut++) {
      expect(decodeSplit('quoted-printable', input, [cut]).toString()).toBe('a\r\nbc=4x=\r\nd');
    }
  });

  it('7bit, 8bit, binary and unknown encodings pass through', () => {
    for (const e of ['7bit', '8bit', 'binary', 'x-uuencode', '']) expect(decodeSplit(e, Buffer.from('=41\r\n'), [2]).toString()).toBe('=41\r\n');
  });
});
