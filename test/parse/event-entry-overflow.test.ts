import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_PARSE_LIMITS, extractMessage, parsedSummary, type ExtractResult, type ParsedMessage } from '../../lambda/parse/index.js';
import { MESSAGE_KEY, MemorySink, chunked, corpusMessage } from './support.js';

const SHA = 'a'.repeat(64);

function result(message: Partial<ParsedMessage>): ExtractResult {
  const base: ParsedMessage = {
    parsedVersion: 1, from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [], inReplyTo: [], references: [],
    textSize: 0, htmlSize: 0, textTruncated: false, htmlTruncated: false, attachments: [], parts: [], defects: [], unknownCharsets: [],
  };
  return { message: { ...base, ...message }, messageJson: { key: 'mail/inbox/full/x/message.json', size: 10, sha256: SHA } };
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

describe('event-entry-overflow: the parsed summary always fits one EventBridge entry', () => {
  it('10,000 attachments with 2,000-character names: cut to the budget, flagged, counted', () => {
    const attachments = Array.from({ length: 10_000 }, (_, i) => ({
      filename: `${'ü'.repeat(2000)}${i}`, contentType: 'application/pdf', part: String(i + 1), size: i, sha256: SHA, key: `k/${SHA}`,
    }));
    const summary = parsedSummary(result({ attachments, subject: 's'.repeat(5000) }));
    expect(bytes(summary)).toBeLessThanOrEqual(EVENT_PARSE_LIMITS.defaultParsedBytes);
    expect(summary.truncated).toBe(true);
    expect(summary.attachmentCount).toBe(10_000);
    expect(summary.attachments.length).toBeGreaterThan(100);
    expect(summary.attachments[0]!.name!.length).toBe(EVENT_PARSE_LIMITS.maxStringChars);
    expect(summary.subject).toHaveLength(EVENT_PARSE_LIMITS.maxStringChars);
  });

  it('never throws and never exceeds any budget from 1 KB up, whatever the lists hold (property)', () => {
    const address = fc.record({ name: fc.string({ maxLength: 3000 }), address: fc.string({ maxLength: 600 }) });
    fc.assert(
      fc.property(
        fc.array(address, { maxLength: 300 }),
        fc.array(fc.string({ maxLength: 1000 }), { maxLength: 300 }),
        fc.array(fc.record({ filename: fc.string({ maxLength: 3000 }), contentType: fc.string({ maxLength: 300 }), size: fc.nat() }), { maxLength: 300 }),
        fc.integer({ min: 1024, max: 256 * 1024 }),
        (to, references, files, budget) => {
          const attachments = files.map((f, i) => ({ ...f, part: String(i), sha256: SHA, key: `k/${SHA}` }));
          const summary = parsedSummary(result({ to, cc: to, references, attachments }), budget);
          expect(bytes(summary)).toBeLessThanOrEqual(budget);
          expect(summary.attachmentCount).toBe(files.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a small message is summarised whole and not flagged', async () => {
    const extracted = await extractMessage(chunked(corpusMessage('nested-multipart')), { messageKey: MESSAGE_KEY }, new MemorySink());
    const summary = parsedSummary(extracted);
    expect(summary).toMatchObject({ truncated: false, subject: 'Quarterly report', hasText: true, hasHtml: true, attachmentCount: 2 });
    expect(summary.attachments.map((a) => [a.name, a.type, a.size])).toEqual([
      [undefined, 'image/png', 70],
      ['report.pdf', 'application/pdf', 45],
    ]);
    expect(summary.attachments[1]!.key).toBe(extracted.message.attachments[1]!.key);
  });
});
