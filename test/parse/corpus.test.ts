import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attachmentKey, extractMessage, messageJsonKey, type ParsedMessage } from '../../lambda/parse/index.js';
import { CORPUS_DIR, MESSAGE_KEY, MemorySink, chunked, corpusMessage, corpusNames } from './support.js';

async function parse(name: string) {
  const sink = new MemorySink();
  const result = await extractMessage(chunked(corpusMessage(name)), { messageKey: MESSAGE_KEY }, sink);
  return { ...result, sink };
}

describe('MIME corpus: each real-world shape parses to its expected message.json', () => {
  it.each(corpusNames())('%s matches %s.expected.json, and every object it lists is stored', async (name) => {
    // Act
    const { message, messageJson, sink } = await parse(name);
    // Assess: the document, message.json as stored, and one object per distinct attachment.
    const expected = JSON.parse(readFileSync(new URL(`${name}.expected.json`, CORPUS_DIR), 'utf8')) as ParsedMessage;
    expect(message).toEqual(expected);
    const stored = sink.objects.get(messageJsonKey(MESSAGE_KEY));
    expect(stored && JSON.parse(stored.bytes.toString('utf8'))).toEqual(expected);
    expect(messageJson).toMatchObject({ key: messageJsonKey(MESSAGE_KEY), size: stored?.bytes.length });
    for (const a of message.attachments) {
      expect(a.key).toBe(attachmentKey(MESSAGE_KEY, a.sha256));
      expect(sink.objects.get(a.key!)?.bytes.length).toBe(a.size);
    }
    expect(sink.objects.size).toBe(new Set(message.attachments.map((a) => a.key)).size + 1);
  });
});

describe('MIME corpus: what each shape must show', () => {
  it('nested multipart: text and HTML from the alternative, the cid image inline, the PDF attached', async () => {
    const { message } = await parse('nested-multipart');
    expect(message.text).toBe('Hello Bob, \nthe report is attached. Café at 10?');
    expect(message.html).toContain('cid:logo@example.test');
    expect(message.attachments.map((a) => [a.part, a.contentType, a.disposition, a.contentId, a.filename])).toEqual([
      ['1.2.2', 'image/png', 'inline', 'logo@example.test', undefined],
      ['2', 'application/pdf', 'attachment', undefined, 'report.pdf'],
    ]);
    expect(message.parts.map((p) => `${p.part}:${p.contentType}:${p.role}`)).toEqual([
      ':multipart/mixed:container', '1:multipart/alternative:container', '1.1:text/plain:text', '1.2:multipart/related:container',
      '1.2.1:text/html:html', '1.2.2:image/png:attachment', '2:application/pdf:attachment',
    ]);
    expect(message.references).toEqual(['<root-1@example.test>', '<prev-2@example.test>']);
    expect(message.to.map((a) => a.address)).toEqual(['bob@example.test', 'carol@example.test']);
  });

  it('message/rfc822: the forwarded message is one attachment, byte for byte, not mixed into the body', async () => {
    const { message, sink } = await parse('rfc822-attachment');
    expect(message.text).toBe('Forwarding the original below.');
    expect(message.attachments).toHaveLength(1);
    const stored = sink.objects.get(message.attachments[0]!.key!)!.bytes.toString('latin1');
    expect(stored.startsWith('From: someone@example.test\r\n')).toBe(true);
    expect(stored.endsWith('--inner--')).toBe(true);
  });

  it('TNEF: winmail.dat is left as an application/ms-tnef attachment', async () => {
    const { message } = await parse('tnef-winmail');
    expect(message.attachments.map((a) => [a.filename, a.contentType])).toEqual([['winmail.dat', 'application/ms-tnef']]);
  });

  it('broken boundaries: text is salvaged and the defect reported; an unclosed part still ends at EOF', async () => {
    expect((await parse('missing-boundary-param')).message).toMatchObject({
      text: expect.stringContaining('This text must still be readable.'),
      defects: ['no-content-type-boundary'],
    });
    expect((await parse('mismatched-boundary')).message).toMatchObject({ text: expect.stringContaining('Lost text.'), defects: ['multipart-without-parts'] });
    const unclosed = (await parse('unclosed-boundary')).message;
    expect(unclosed.attachments[0]).toMatchObject({ filename: 'partial.bin', size: 10 });
  });

  it('charsets: ISO-2022-JP, windows-1251 (QP, RFC 2231 filename), GBK/GB2312 decode', async () => {
    expect((await parse('iso-2022-jp')).message).toMatchObject({ subject: '日本語の件名', text: 'こんにちは、世界。\n', from: [{ name: '山田' }] });
    expect((await parse('windows-1251')).message).toMatchObject({
      subject: 'Счёт №42',
      text: 'Счёт на оплату во вложении.',
      from: [{ name: 'Иван Петров' }],
      attachments: [{ filename: 'Счёт.pdf' }],
    });
    expect((await parse('gbk')).message).toMatchObject({ subject: '发票', html: '<p>您好，附件是发票。</p>', from: [{ name: '张伟' }] });
  });

  it('unlabelled 8-bit headers: read as UTF-8 when valid, else in the charset of the first text part', async () => {
    expect((await parse('unlabelled-8bit-headers')).message).toMatchObject({
      subject: 'Привет без кодировки',
      from: [{ name: 'Иван', address: 'ivan@example.test' }],
      defects: ['raw-8bit-header'],
    });
    expect((await parse('unlabelled-8bit-filename')).message).toMatchObject({ attachments: [{ filename: 'Счёт.pdf' }], defects: ['raw-8bit-header'] });
    expect((await parse('utf8-headers')).message).toMatchObject({ subject: 'Grüße aus Köln', from: [{ name: 'Jörg Müller' }] });
  });

  it('an unknown charset is reported, never thrown: the text decodes as UTF-8 (or windows-1252)', async () => {
    expect((await parse('unknown-charset')).message).toMatchObject({
      text: "Qapla' café\n",
      unknownCharsets: ['x-klingon'],
      defects: ['invalid-date', 'unknown-charset'],
      dateRaw: 'not a date at all',
    });
  });
});
