import { describe, expect, it } from 'vitest';
import { attachmentKey, extractMessage, messageJsonKey, parsedPrefix } from '../../lambda/parse/index.js';
import { MESSAGE_KEY, MemorySink, chunked, corpusMessage } from './support.js';

const HOSTILE_NAMES = [
  '../../../etc/passwd',
  '..\\..\\windows\\system32',
  '/absolute/path.pdf',
  'invoice.pdf\r\nX-Injected: yes',
  'nul\u0000byte.pdf',
  '\u202egpj.exe',
  'a'.repeat(5000),
  '%2e%2e%2fescape',
];

function messageWith(filename: string): Buffer {
  const encoded = `=?utf-8?B?${Buffer.from(filename, 'utf8').toString('base64')}?=`;
  return Buffer.from(
    [
      'From: a@example.test', 'Subject: hostile', 'Content-Type: multipart/mixed; boundary="x"', '', '--x',
      'Content-Type: application/octet-stream', `Content-Disposition: attachment; filename="${encoded}"`, 'Content-Transfer-Encoding: base64', '',
      Buffer.from(filename).toString('base64'), '--x--', '',
    ].join('\r\n'),
    'latin1',
  );
}

describe('filename-key-injection: an attachment filename never becomes part of a key', () => {
  it.each(HOSTILE_NAMES.map((n) => [JSON.stringify(n).slice(0, 40), n]))('%s: key is prefix + attachments/ + SHA-256, filename kept as clean text', async (_label, name) => {
    const sink = new MemorySink();
    const { message } = await extractMessage(chunked(messageWith(name)), { messageKey: MESSAGE_KEY }, sink);
    for (const key of sink.objects.keys()) {
      expect(key).toMatch(/^mail\/inbox\/full\/0f1e2d3c\/(attachments\/[0-9a-f]{64}|message\.json)$/);
    }
    const [attachment] = message.attachments;
    expect(attachment?.filename).toBeDefined();
    expect(attachment!.filename).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(attachment!.filename!.length).toBeLessThanOrEqual(2048);
  });

  it('two attachments with the same name are two objects; the same content twice is one', async () => {
    const sink = new MemorySink();
    const { message } = await extractMessage(chunked(corpusMessage('hostile-filenames')), { messageKey: MESSAGE_KEY }, sink);
    expect(message.attachments).toHaveLength(3);
    expect(new Set(message.attachments.map((a) => a.key)).size).toBe(2);
    expect(sink.puts).toBe(3); // two attachments + message.json
  });

  it('keys are built from hex digests only: anything else is refused', () => {
    expect(attachmentKey('p/m/full/h.eml', 'a'.repeat(64))).toBe(`p/m/full/h/attachments/${'a'.repeat(64)}`);
    expect(messageJsonKey('p/m/full/h.eml')).toBe('p/m/full/h/message.json');
    expect(() => attachmentKey('p/m/full/h.eml', '../x')).toThrow(RangeError);
    expect(() => attachmentKey('p/m/full/h.eml', 'A'.repeat(64))).toThrow(RangeError);
    expect(() => parsedPrefix('p/m/full/h')).toThrow(RangeError);
  });
});
