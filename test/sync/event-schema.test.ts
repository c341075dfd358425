import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DETAIL_TYPE_CIRCUIT_OPENED,
  DETAIL_TYPE_HEADERS_FETCHED,
  DETAIL_TYPE_MAILBOX_POLLED,
  DETAIL_TYPE_MESSAGE_SKIPPED,
  DETAIL_TYPE_MESSAGE_FAILED,
  DETAIL_TYPE_MESSAGE_STORED,
  DETAIL_TYPE_MESSAGE_PARSE_FAILED,
} from '../../lambda/sync/events.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';
import { messageTooDeep, messageWithAttachment } from '../support/mime-samples.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/event-schema.json', import.meta.url), 'utf8')) as {
  $defs: Record<string, unknown>;
  'x-detail-types': Record<string, string>;
};

function validatorFor(detailType: string): z.ZodType {
  const ref = schema['x-detail-types'][detailType];
  if (!ref) throw new Error(`no schema for ${detailType}`);
  return z.fromJSONSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: schema.$defs, allOf: [{ $ref: ref }] } as never);
}

describe('event-schema-drift: every published detail matches docs/event-schema.json', () => {
  it('lists every detail type this package publishes', () => {
    expect(Object.keys(schema['x-detail-types']).sort()).toEqual(
      [
        DETAIL_TYPE_MESSAGE_STORED, DETAIL_TYPE_HEADERS_FETCHED, DETAIL_TYPE_MESSAGE_SKIPPED, DETAIL_TYPE_MESSAGE_FAILED,
        DETAIL_TYPE_MAILBOX_POLLED, DETAIL_TYPE_CIRCUIT_OPENED, DETAIL_TYPE_MESSAGE_PARSE_FAILED,
      ].sort(),
    );
  });

  it('validates the details of a poll that produces every kind of event', async () => {
    // Prepare: stored, headers, filter skip, too-large, a hostile header, then a circuit trip.
    const world = new MemoryWorld();
    world.mailbox.add(
      { uid: 'full', text: mailText(1).replace('message 1', '[keep] =?utf-8?Q?caf=C3=A9?=') },
      { uid: 'head', text: mailText(2) },
      { uid: 'skip', text: mailText(3).replace('s3@example.test', 'noreply@x.test') },
      { uid: 'big', text: mailText(4), listSize: 90_000_000 },
      { uid: 'hostile', text: `Subject: [keep] ${'x'.repeat(300_000)}\r\nTo: ${'a@x, '.repeat(50_000)}\r\n\r\nbody\r\n` },
      { uid: 'broken', text: mailText(5) },
    );
    world.mailbox.refuse.add('broken');
    const policy: MailboxPolicy = {
      id: 'inbox',
      mode: 'full',
      delete: { kind: 'never' },
      limits: { maxMessageSize: 1_000_000 },
      maxAttempts: 1,
      filter: { rules: [{ from: 'noreply@', action: 'skip' }, { subject: '[keep]', action: 'full' }], otherwise: 'headers' },
    };
    // Act
    await pollMailbox(policy, world.deps());
    for (let i = 0; i < 25; i++) world.mailbox.add({ uid: `later-${i}`, text: mailText(i) });
    await pollMailbox({ ...policy, filter: undefined }, world.deps());
    world.mailbox.messages = world.mailbox.messages.map((m, i) => ({ ...m, uid: `renumbered-${i}` }));
    await pollMailbox(policy, world.deps());
    // A parse-enabled mailbox: parsed summaries (one cut to fit: 900 attachments) and a message that does not parse.
    const parsing = new MemoryWorld();
    const many = Array.from({ length: 900 }, (_, i) => `--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="${'n'.repeat(600)}${i}.png"\r\n\r\n${i}\r\n`).join('');
    parsing.mailbox.add(
      { uid: 'attached', text: messageWithAttachment(1, Buffer.from('%PDF-1.4 x'), 'r\u00e9sum\u00e9.pdf').toString('latin1') },
      { uid: 'many', text: `From: a@example.test\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n${many}--b1--\r\n` },
      { uid: 'deep', text: messageTooDeep().toString('latin1') },
    );
    await pollMailbox({ id: 'parsing', mode: 'full', delete: { kind: 'never' }, limits: {}, parse: { attachments: true } }, parsing.deps());
    const delivered = [...world.publisher.delivered, ...parsing.publisher.delivered];
    // Assess
    const types = new Set(delivered.map((e) => e.detailType));
    expect([...types].sort()).toEqual(Object.keys(schema['x-detail-types']).sort());
    expect(parsing.publisher.delivered.filter((e) => (e.detail.parsed as { truncated?: boolean } | undefined)?.truncated).length).toBe(1);
    for (const event of delivered) {
      const result = validatorFor(event.detailType).safeParse(event.detail);
      expect(result.success, `${event.detailType}: ${JSON.stringify(result.error?.issues?.slice(0, 3))}`).toBe(true);
      // EventBridge: 256 KB per entry, detail included; without `parsed` a detail stays far below.
      const limit = event.detail.parsed === undefined ? 64 * 1024 : 256 * 1024;
      expect(Buffer.byteLength(JSON.stringify(event.detail))).toBeLessThan(limit);
    }
  });

  it('rejects a detail that drifts (the validator can fail)', () => {
    expect(validatorFor(DETAIL_TYPE_MESSAGE_STORED).safeParse({ schemaVersion: 1 }).success).toBe(false);
  });
});
