import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEADER_LIMITS,
  HeaderCapture,
  decodeEncodedWords,
  extractHeaders,
  headerBlockEnd,
  parseHeaderFields,
} from '../../lambda/sync/headers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

describe('RFC 2047 decoding', () => {
  it.each([
    // RFC 2047 section 8 examples
    ['=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>', 'Keld Jørn Simonsen <keld@dkuug.dk>'],
    ['=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>', 'André Pirard <PIRARD@vm1.ulg.ac.be>'],
    ['=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=', 'If you can read this you understand the example.'],
    ['(=?ISO-8859-1?Q?a?=)', '(a)'],
    ['(=?ISO-8859-1?Q?a?= b)', '(a b)'],
    ['(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a_b?=)', '(a b)'],
    ['(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)', '(a b)'],
    // charsets beyond Latin-1
    ['=?utf-8?B?0J/RgNC40LLQtdGC?=', 'Привет'],
    ['=?windows-1251?B?z/Do4uXy?=', 'Привет'],
    ['=?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=', 'Привет'],
    ['=?iso-8859-2?Q?=B1?=', 'ą'],
    ['=?windows-1252?Q?=80?=', '€'],
    ['=?UTF-8*en?Q?Hello?=', 'Hello'],
    // a multi-byte character split across two adjacent encoded words
    ['=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=', '€'],
    ['=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=', 'café'],
    // base64 without padding
    ['=?utf-8?b?Y2Fmw6k?=', 'café'],
  ])('decodes %s', (input, expected) => {
    expect(decodeEncodedWords(input)).toBe(expected);
  });

  it.each([
    ['=?unknown-charset?Q?abc?=', '=?unknown-charset?Q?abc?='],
    ['=?utf-8?X?abc?=', '=?utf-8?X?abc?='],
    ['=?utf-8?Q?unterminated', '=?utf-8?Q?unterminated'],
    ['plain text', 'plain text'],
    ['a =?utf-8?Q?b?= c', 'a b c'],
  ])('tolerates garbage: %s', (input, expected) => {
    expect(decodeEncodedWords(input)).toBe(expected);
  });

  it('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.string(), (s) => typeof decodeEncodedWords(s) === 'string'));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => typeof extractHeaders(b).truncated === 'boolean'));
  });
});

describe('header block parsing', () => {
  it('unfolds continuation lines (RFC 5322 section 2.2.3)', () => {
    const fields = parseHeaderFields('Subject: a\r\n  folded\r\n\tline\r\nFrom: x\r\n');
    expect(fields).toEqual([
      { name: 'Subject', value: 'a  folded\tline' },
      { name: 'From', value: 'x' },
    ]);
  });

  it('extracts, decodes and joins the event headers; first Subject wins, To lines are joined', () => {
    const block = enc(
      'Message-ID: <1@x>\r\nFrom: =?utf-8?Q?J=C3=B6rg?= <j@x>\r\nTo: a@x\r\nTo: b@x\r\nCc: c@x\r\n' +
        'Subject: =?utf-8?B?SGVsbG8g?=\r\n =?utf-8?B?V29ybGQ=?=\r\nSubject: second\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n',
    );
    const { headers, truncated } = extractHeaders(block);
    expect(headers).toEqual({
      messageId: '<1@x>',
      from: 'Jörg <j@x>',
      to: 'a@x, b@x',
      cc: 'c@x',
      subject: 'Hello World',
      date: 'Thu, 1 Jan 2026 00:00:00 +0000',
    });
    expect(truncated).toBe(false);
  });

  it('reads raw 8-bit headers as UTF-8 (RFC 6532) or windows-1252 when not valid UTF-8', () => {
    expect(extractHeaders(enc('Subject: Grüße\r\n')).headers.subject).toBe('Grüße');
    expect(extractHeaders(new Uint8Array([...enc('Subject: Gr'), 0xfc, ...enc('\r\n')])).headers.subject).toBe('Grü');
  });

  it('cuts huge values and flags truncated (EventBridge 256 KB entry limit)', () => {
    const { headers, truncated } = extractHeaders(enc(`Subject: ${'x'.repeat(100_000)}\r\n`));
    expect(headers.subject).toHaveLength(HEADER_LIMITS.maxValueChars);
    expect(truncated).toBe(true);
  });

  it('does not split a surrogate pair when cutting', () => {
    const value = 'a'.repeat(HEADER_LIMITS.maxValueChars - 1) + '😀';
    const { headers } = extractHeaders(enc(`Subject: ${value}\r\n`));
    expect(headers.subject).toBe('a'.repeat(HEADER_LIMITS.maxValueChars - 1));
  });

  it('turns decoded control characters into spaces (header injection into logs)', () => {
    const { headers } = extractHeaders(enc('Subject: =?utf-8?Q?a=0D=0AX-Evil:_1?=\r\n'));
    expect(headers.subject).toBe('a  X-Evil: 1');
  });

  it('finds the end of the header block with CRLF or bare LF', () => {
    expect(headerBlockEnd(enc('A: 1\r\nB: 2\r\n\r\nbody'))).toBe(12);
    expect(headerBlockEnd(enc('A: 1\n\nbody'))).toBe(5);
    expect(headerBlockEnd(enc('\r\nbody'))).toBe(0);
    expect(headerBlockEnd(enc('A: 1\r\nB: 2\r\n'))).toBe(-1);
  });
});

describe('header-tee-split: headers captured while the body streams, at any chunking', () => {
  const message = enc('From: a@x\r\nSubject: =?utf-8?Q?caf=C3=A9?=\r\n\r\nbody line\r\n\r\nmore\r\n');

  it('passes the stream through unchanged and captures the same headers at every chunk size', async () => {
    for (let size = 1; size <= message.length; size++) {
      // Prepare
      const capture = new HeaderCapture();
      // Act
      const out = await collect(capture.tee(chunks(message, size)));
      // Assess
      expect(out).toEqual(message);
      expect(capture.headers()).toEqual({ headers: { from: 'a@x', subject: 'café' }, truncated: false });
      expect(capture.result().complete).toBe(true);
    }
  });

  it('stops buffering at the limit and flags the headers truncated (hostile endless header)', async () => {
    const endless = enc(`Subject: x\r\nX-Junk: ${'y'.repeat(10_000)}\r\n`);
    const capture = new HeaderCapture(1024);
    const out = await collect(capture.tee(chunks(endless, 100)));
    expect(out).toEqual(endless);
    expect(capture.result().block.length).toBe(1024);
    expect(capture.headers()).toEqual({ headers: { subject: 'x' }, truncated: true });
  });

  it('keeps every octet of a header block that outgrows the first capture buffer (no header lost to a regrow)', async () => {
    const long = enc(`X-Pad: ${'p'.repeat(20_000)}\r\nSubject: after the pad\r\nFrom: a@x\r\n\r\nbody\r\n`);
    for (const size of [1, 999, 8192, long.length]) {
      const capture = new HeaderCapture();
      expect(await collect(capture.tee(chunks(long, size)))).toEqual(long);
      const { block, complete } = capture.result();
      expect(complete).toBe(true);
      expect(block).toEqual(long.subarray(0, long.length - '\r\nbody\r\n'.length));
      expect(capture.headers()).toEqual({ headers: { from: 'a@x', subject: 'after the pad' }, truncated: false });
    }
  });

  it('treats a message without a blank line as all header', async () => {
    const capture = new HeaderCapture();
    await collect(capture.tee(chunks(enc('Subject: only\r\n'), 3)));
    expect(capture.headers()).toEqual({ headers: { subject: 'only' }, truncated: false });
  });
});
