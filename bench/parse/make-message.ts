/**
 * Writes a test message to a file without holding it in memory: headers, a short text part,
 * an HTML part, and one base64 attachment of pseudo-random octets (76-character lines).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** What was written: total size, and the attachment's decoded size and SHA-256. */
export interface MadeMessage {
  size: number;
  attachmentSize: number;
  attachmentSha256: string;
}

/** What fills the message: one base64 attachment, or one long text/plain body (no attachment). */
export type MessageShape = 'attachment' | 'text';

/** Writes a message of about `totalBytes` whose attachment (or text body) takes all but ~2 KiB of it. */
export async function makeMessage(path: string, totalBytes: number, shape: MessageShape = 'attachment'): Promise<MadeMessage> {
  const out = createWriteStream(path);
  let size = 0;
  const write = async (text: string): Promise<void> => {
    size += Buffer.byteLength(text, 'latin1');
    if (!out.write(text, 'latin1')) await once(out, 'drain');
  };
  await write(
    [
      'From: Bench <bench@example.test>',
      'To: invoices@example.test',
      'Subject: =?utf-8?Q?Gro=C3=9Fe_Anlage?=',
      'Date: Thu, 3 Dec 2026 09:00:00 +0000',
      'Message-ID: <bench@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="bench-boundary"',
      '',
      '--bench-boundary',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the attached file.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>See the attached file.</p>',
      '--alt--',
      '--bench-boundary',
      ...(shape === 'text'
        ? ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit']
        : ['Content-Type: application/octet-stream; name="data.bin"', 'Content-Disposition: attachment; filename="data.bin"', 'Content-Transfer-Encoding: base64']),
      '',
      '',
    ].join('\r\n'),
  );
  const closing = '\r\n--bench-boundary--\r\n';
  // 57 octets per 76-character line plus CRLF: 78 message octets per 57 decoded.
  const lines = Math.floor((totalBytes - size - closing.length) / 78);
  const hash = createHash('sha256');
  let seed = 0x12345678;
  const block = Buffer.alloc(57 * 1024);
  let attachmentSize = 0;
  for (let done = 0; done < lines; done += 1024) {
    const n = Math.min(1024, lines - done);
    for (let i = 0; i < n * 57; i++) {
      // xorshift32: incompressible, reproducible, fast.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      block[i] = seed & 0xff;
    }
    const bytes = block.subarray(0, n * 57);
    hash.update(bytes);
    attachmentSize += bytes.length;
    // The text shape writes the same lines: base64 characters are plain text too.
    const b64 = bytes.toString('base64');
    let text = '';
    for (let i = 0; i < b64.length; i += 76) text += b64.slice(i, i + 76) + '\r\n';
    await write(text);
  }
  await write(closing.slice(2));
  out.end();
  await once(out, 'finish');
  return shape === 'text' ? { size, attachmentSize: 0, attachmentSha256: '' } : { size, attachmentSize, attachmentSha256: hash.digest('hex') };
}
