/**
 * Messages that break naive POP3 clients, as raw CRLF Buffers: dot-stuffing edge cases
 * (RFC 1939 section 3), 8-bit bytes, very long lines, bare LF, an empty body, MIME.
 *
 * What Dovecot 2.3 does with them (observed with the harness, maildir storage):
 * - every stored CRLF is sent as is; a bare LF is sent as CRLF (Dovecot's POP3 output
 *   normalises line ends), so 'bare LF inside' comes back one byte longer per bare LF:
 *   compare against `expected`, not `raw`. A bare CR and a NUL byte are sent unchanged;
 * - LIST reports that LF-to-CRLF size ("virtual size"), which is `listSize`;
 * - a message not ending in CRLF gets CRLF added before the terminating "." (RFC 1939
 *   section 3 needs it), but LIST does not count it: `expected.length === listSize + 2`;
 * - an empty file is listed as 0 octets and RETR sends one empty line (CRLF) as its body.
 */

/** One corpus entry: a name for test titles, the bytes to seed, and what a reader should get. */
export interface CorpusMessage {
  name: string;
  /** The bytes written into the maildir. */
  raw: Buffer;
  /** What a correct client delivers after RETR from Dovecot (see expectedFromDovecot). */
  expected: Buffer;
  /** The size Dovecot reports in LIST and STAT for it. */
  listSize: number;
}

const CRLF = '\r\n';

/** Joins lines with CRLF and ends with CRLF. */
function lines(...parts: string[]): Buffer {
  return Buffer.from(parts.join(CRLF) + CRLF, 'latin1');
}

function headers(subject: string, extra: string[] = []): string[] {
  return [
    'From: Sender <sender@example.test>',
    'To: Alice <alice@example.test>',
    `Subject: ${subject}`,
    'Date: Sat, 28 Nov 2026 10:00:00 +0000',
    `Message-ID: <${subject.replace(/[^A-Za-z0-9]/g, '-').slice(0, 40)}@example.test>`,
    ...extra,
  ];
}

/**
 * What Dovecot's RETR delivers for stored bytes: every bare LF becomes CRLF, and a final line
 * without a line end gets a CRLF (RFC 1939 section 3: the terminator follows a CRLF).
 */
export function expectedFromDovecot(raw: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i += 1) {
    const byte = raw[i] as number;
    if (byte === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) out.push(0x0d);
    out.push(byte);
  }
  if (out.length > 0 && !(out[out.length - 2] === 0x0d && out[out.length - 1] === 0x0a)) out.push(0x0d, 0x0a);
  return Buffer.from(out);
}

/** The size Dovecot's LIST reports for stored bytes: bare LFs counted as CRLF, nothing appended. */
export function listSizeFromDovecot(raw: Buffer): number {
  let bareLf = 0;
  for (let i = 0; i < raw.length; i += 1) if (raw[i] === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) bareLf += 1;
  return raw.length + bareLf;
}

function entry(name: string, raw: Buffer): CorpusMessage {
  return { name, raw, expected: expectedFromDovecot(raw), listSize: listSizeFromDovecot(raw) };
}

const BASE64_ATTACHMENT = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff))
  .toString('base64')
  .replace(/.{76}/g, (chunk) => chunk + CRLF)
  .trimEnd();

/** The tricky corpus, in a fixed order (seed it in this order and UIDs follow). */
export const CORPUS: readonly CorpusMessage[] = [
  entry('leading dots', lines(...headers('leading dots'), '', '.hidden line', '..two dots', '...three', 'end')),
  entry('lone dot line in body', lines(...headers('lone dot'), '', 'before', '.', 'after the lone dot')),
  entry('double dot line', lines(...headers('double dot'), '', '..', 'next')),
  entry('body ends with a dot line', lines(...headers('ends with dot'), '', 'text', '.')),
  entry('latin-1 8-bit bytes', Buffer.concat([
    lines(...headers('latin1', ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit']), ''),
    Buffer.from('Gr\xfc\xdfe aus K\xf6ln, \xe9t\xe9 \xa3100\r\n\xff\xfe\x80\x81\r\n', 'latin1'),
  ])),
  entry('utf-8 8-bit bytes', Buffer.concat([
    lines(...headers('utf8', ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit']), ''),
    Buffer.from('Grüße, 日本語, emoji 📬, Ελληνικά\r\n', 'utf8'),
  ])),
  entry('line of 2500 characters', lines(...headers('long line'), '', 'x'.repeat(2500), `.${'y'.repeat(2100)}`, 'short')),
  entry('bare LF inside', Buffer.from([...headers('bare lf'), '', 'line one\nline two\n\nline four', 'crlf line', ''].join(CRLF), 'latin1')),
  entry('empty body', lines(...headers('empty body'), '')),
  entry('multipart with base64 attachment', lines(
    ...headers('multipart', ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b0undary"']),
    '',
    'This is a multi-part message in MIME format.',
    '--b0undary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'See attachment.',
    '.',
    '--b0undary',
    'Content-Type: application/octet-stream; name="blob.bin"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="blob.bin"',
    '',
    BASE64_ATTACHMENT,
    '--b0undary--',
  )),
  entry('RFC 2047 encoded subject', lines(
    'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.test>',
    'To: alice@example.test',
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?= =?ISO-8859-1?Q?_=E9t=E9?=',
    'Date: Sat, 28 Nov 2026 10:00:00 +0000',
    'Message-ID: <rfc2047@example.test>',
    '',
    'Body.',
  )),
  entry('no final CRLF', Buffer.from([...headers('no final crlf'), '', 'last line without end'].join(CRLF), 'latin1')),
  // Appended last so the indices above stay stable for tests that slice the corpus.
  entry('NUL byte and bare CR', lines(...headers('nul and cr'), '', 'A\x00B', 'bare\rCR', '\x00')),
];

/**
 * A well-formed message of exactly sizeBytes bytes (or just its ~200-byte header when smaller), numbered i, for bulk
 * seeding: CRLF lines of 76 characters, some starting with '.', so dot-stuffing is exercised.
 */
export function makeMessage(i: number, sizeBytes: number): Buffer {
  const head = lines(...headers(`bulk message ${i}`), '');
  const parts: Buffer[] = [head];
  let size = head.length;
  let line = 0;
  while (size < sizeBytes) {
    const remaining = sizeBytes - size;
    let text: string;
    if (remaining <= 78) {
      // The last line fills the exact size: remaining - 2 characters and CRLF (at least one char).
      text = (line % 10 === 9 ? '.' : 'z').padEnd(Math.max(remaining - 2, 1), 'z');
    } else {
      const prefix = line % 10 === 9 ? '.' : '';
      // Never leave 1 or 2 bytes for the last line: it needs a character and CRLF.
      const width = remaining - 78 < 3 ? 70 : 76;
      text = `${prefix}${i}:${line}:`.padEnd(width, String.fromCharCode(97 + (line % 26)));
    }
    const chunk = Buffer.from(text + CRLF, 'latin1');
    parts.push(chunk);
    size += chunk.length;
    line += 1;
  }
  return Buffer.concat(parts);
}
