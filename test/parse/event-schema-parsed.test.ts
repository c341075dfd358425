import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractMessage, parsedSummary, parseFailedFields, type ParseError } from '../../lambda/parse/index.js';
import { MESSAGE_KEY, MemorySink, chunked, corpusMessage, corpusNames } from './support.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/event-schema.json', import.meta.url), 'utf8')) as { $defs: Record<string, unknown> };

function validator(def: string): z.ZodType {
  return z.fromJSONSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: schema.$defs, allOf: [{ $ref: `#/$defs/${def}` }] } as never);
}

const SHA = 'b'.repeat(64);
const common = {
  schemaVersion: 1, mailboxId: 'inbox', eventId: '6f1c2a9e-0b7d-4c55-9e0a-3d2f5b8c1a47', uidHash: SHA, firstSeen: '2026-01-01T00:00:00.000Z',
  headers: { subject: 's' }, truncated: false, bucket: 'b', key: MESSAGE_KEY, size: 10, sha256: SHA,
};

describe('parsed-schema-drift: what lambda/parse produces matches docs/event-schema.json', () => {
  it.each(corpusNames())('Message Stored with the parsed summary of %s validates', async (name) => {
    const extracted = await extractMessage(chunked(corpusMessage(name)), { messageKey: MESSAGE_KEY }, new MemorySink());
    const detail = { ...common, kind: 'full', parsed: parsedSummary(extracted) };
    const result = validator('MessageStored').safeParse(detail);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('Message Parse Failed validates, and every PARSE_* reason is in the schema', async () => {
    const error = (await extractMessage(chunked(Buffer.alloc(0)), { messageKey: MESSAGE_KEY }, new MemorySink()).catch((e: unknown) => e)) as ParseError;
    const detail = { ...common, ...parseFailedFields(error), retryable: false };
    expect(validator('MessageParseFailed').safeParse(detail).error?.issues ?? []).toEqual([]);
    const { PARSE_ERROR_CODES } = await import('../../lambda/parse/errors.js');
    const reasons = (schema.$defs.MessageParseFailed as { properties: { reason: { enum: string[] } } }).properties.reason.enum;
    // The sync core adds PARSE_STORE_FAILED (parsed objects not stored); PARSE_SPOOL_FAILED is published with retryable: true.
    expect([...Object.keys(PARSE_ERROR_CODES), 'PARSE_STORE_FAILED'].sort()).toEqual([...reasons].sort());
  });
});
