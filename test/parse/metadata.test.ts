import { describe, expect, it } from 'vitest';
import { parsedObjectMetadata } from '../../lambda/parse/metadata.js';

const SHA = 'c'.repeat(64);
const attachment = (filename: string, extra = {}) => ({
  key: `k/attachments/${SHA}`, size: 1, sha256: SHA, role: 'attachment' as const, contentType: 'application/pdf',
  attachment: { filename, contentType: 'application/pdf', disposition: 'attachment', part: '2', size: 1, sha256: SHA, ...extra },
});

describe('metadata-header-injection: attachment metadata is ASCII, bounded, and cannot inject header syntax', () => {
  it('a Unicode filename becomes an RFC 8187 filename* that decodes back', () => {
    const m = parsedObjectMetadata(attachment('Счёт №1 "final".pdf'));
    expect(m.contentDisposition).toBe(`attachment; filename*=UTF-8''${m.metadata.filename}`);
    expect(decodeURIComponent(m.metadata.filename!)).toBe('Счёт №1 "final".pdf');
  });

  it.each(['a.pdf\r\nX-Evil: 1', 'a";x=y', 'a\u0000b', '\u202eexe.pdf', 'ü'.repeat(3000)])('%j: only ASCII, no CR/LF/quotes, within 2 KB', (name) => {
    const m = parsedObjectMetadata(attachment(name, { contentId: 'x'.repeat(5000) }));
    const all = [m.contentType, m.contentDisposition ?? '', ...Object.keys(m.metadata), ...Object.values(m.metadata)].join('');
    expect(all).toMatch(/^[\x21-\x7e ]*$/);
    expect(m.metadata.filename).not.toMatch(/["\\;\s]/);
    expect(Object.entries(m.metadata).reduce((n, [k, v]) => n + k.length + v.length, 0)).toBeLessThanOrEqual(2048);
    expect(() => decodeURIComponent(m.metadata.filename!)).not.toThrow();
  });

  it('a declared content type that is not a plain type/subtype is stored as application/octet-stream', () => {
    expect(parsedObjectMetadata({ ...attachment('a'), contentType: 'text/html\r\nX: y' }).contentType).toBe('application/octet-stream');
    expect(parsedObjectMetadata({ key: 'k/message.json', size: 2, sha256: SHA, role: 'message-json', contentType: 'application/json' })).toEqual({
      contentType: 'application/json',
      metadata: { role: 'message-json', sha256: SHA },
    });
  });
});
