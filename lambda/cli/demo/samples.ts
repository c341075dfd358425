/**
 * The demo mailbox: a handful of realistic messages with FIXED content and FIXED UIDs, so that
 * a second `pop3-ingest demo` run finds nothing new (the seen-state lives in the out folder).
 */

/** One message in the demo mailbox. */
export interface DemoMessage {
  /** RFC 1939 unique-id: 1-70 characters in 0x21-0x7E, stable across runs. */
  uid: string;
  /** The raw message, CRLF line endings, exactly as stored by a receiving MTA. */
  data: Buffer;
}

const crlf = (lines: readonly string[]): Buffer => Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');

/** A small CSV attachment, base64 in the message (RFC 2045 section 6.8: lines of at most 76 chars). */
const ATTACHMENT = 'date,reading\r\n2026-11-01,17.2\r\n2026-11-02,18.9\r\n2026-11-03,16.4\r\n';
const ATTACHMENT_B64 = (Buffer.from(ATTACHMENT, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

/** Encodes a header word per RFC 2047 (B encoding, UTF-8). */
const b = (text: string): string => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

/** The demo messages, oldest first. */
export const DEMO_MESSAGES: readonly DemoMessage[] = [
  {
    uid: 'demo-0001-welcome',
    data: crlf([
      'Return-Path: <hello@example.net>',
      'Received: from mx.example.net (mx.example.net [192.0.2.25]) by pop3-ingest.invalid; Mon, 2 Nov 2026 09:14:03 +0000',
      'Message-ID: <welcome.0001@example.net>',
      'Date: Mon, 2 Nov 2026 09:14:02 +0000',
      'From: "pop3-ingest demo" <hello@example.net>',
      'To: demo@pop3-ingest.invalid',
      'Subject: Welcome to pop3-ingest',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      'Content-Transfer-Encoding: 7bit',
      '',
      'Hello,',
      '',
      'this message came from the embedded demo POP3 server. It was fetched with RETR,',
      'stored raw, and announced by one event in events.jsonl.',
      '.A line starting with a dot travels dot-stuffed on the wire (RFC 1939 section 3)',
      '.',
      '..and these two lines, too: the stored copy has them exactly as written here.',
      '',
      'Run the demo again: nothing is new the second time.',
    ]),
  },
  {
    uid: 'demo-0002-report',
    data: crlf([
      'Message-ID: <report.0002@sensors.example.org>',
      'Date: Tue, 3 Nov 2026 06:00:00 +0100',
      'From: Sensor Gateway <gateway@sensors.example.org>',
      'To: demo@pop3-ingest.invalid',
      'Cc: ops@example.org',
      'Subject: Daily readings (attachment)',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="=_boundary_0002"',
      '',
      'This is a multi-part message in MIME format.',
      '',
      '--=_boundary_0002',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
      '',
      'Attached: the readings of the last three days.',
      '',
      '--=_boundary_0002',
      'Content-Type: text/csv; name="readings.csv"',
      'Content-Disposition: attachment; filename="readings.csv"',
      'Content-Transfer-Encoding: base64',
      '',
      ATTACHMENT_B64,
      '',
      '--=_boundary_0002--',
    ]),
  },
  {
    uid: 'demo-0003-intl',
    data: crlf([
      'Message-ID: <intl.0003@example.de>',
      'Date: Wed, 4 Nov 2026 17:45:10 +0100',
      // RFC 2047: one ISO-8859-1 Q-encoded name, one UTF-8 B-encoded subject.
      'From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>',
      'To: demo@pop3-ingest.invalid',
      `Subject: ${b('Grüße aus Zürich – Prüfbericht ✓')}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Hallo,',
      '',
      'der Prüfbericht ist fertig. Viele Grüße aus Zürich!',
      '',
      '-- ',
      'Jörg',
    ]),
  },
  {
    uid: 'demo-0004-newsletter',
    data: crlf([
      'Message-ID: <news.0004@list.example.com>',
      'Date: Thu, 5 Nov 2026 12:00:00 -0500',
      'From: Example Newsletter <news@list.example.com>',
      'To: demo@pop3-ingest.invalid',
      'Subject: November news: POP3 is still here',
      'List-Id: <news.list.example.com>',
      'List-Unsubscribe: <mailto:unsubscribe@list.example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="alt-0004"',
      '',
      '--alt-0004',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'POP3 (RFC 1939) turns 30. Still the simplest way to drain a mailbox.',
      '',
      '--alt-0004',
      'Content-Type: text/html; charset=us-ascii',
      '',
      '<html><body><p>POP3 (RFC 1939) turns 30. Still the simplest way to drain a mailbox.</p></body></html>',
      '',
      '--alt-0004--',
    ]),
  },
];

/** The demo login name (the password is random per run). */
export const DEMO_USER = 'demo';
