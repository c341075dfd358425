/**
 * Messages for the parse tests: one with a base64 attachment, one that does not parse (multipart
 * nesting past the parser's maxDepth of 32, which Dovecot and every POP3 server deliver as is).
 */

/** A multipart/mixed message: a text body and `attachment` as a base64 part named `filename`. */
export function messageWithAttachment(n: number, attachment: Buffer, filename = 'invoice.pdf'): Buffer {
  const b64 = attachment.toString('base64').replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '');
  return Buffer.from(
    `Message-ID: <a${n}@example.test>\r\nFrom: Billing <billing@example.test>\r\nTo: invoices@example.test\r\nSubject: Invoice ${n}\r\n` +
      'Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find the invoice attached.\r\n' +
      `--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="${filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b1--\r\n`,
  );
}

/** Multipart nesting `depth` deep (default 40 > maxDepth 32): Message Parse Failed, PARSE_TOO_DEEP. */
export function messageTooDeep(depth = 40): Buffer {
  let head = 'Message-ID: <deep@example.test>\r\nFrom: a@example.test\r\nTo: b@example.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n';
  let tail = '';
  for (let i = 0; i < depth; i++) {
    head += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--\r\n${tail}`;
  }
  return Buffer.from(`${head}Content-Type: text/plain\r\n\r\ndeep${tail}`);
}
