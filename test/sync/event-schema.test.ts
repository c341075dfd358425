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
} from '../../lambda/sync/events.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

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
        DETAIL_TYPE_MAILBOX_POLLED, DETAIL_TYPE_CIRCUIT_OPENED,
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
    // Assess
    const types = new Set(world.publisher.delivered.map((e) => e.detailType));
    expect([...types].sort()).toEqual(Object.keys(schema['x-detail-types']).sort());
    for (const event of world.publisher.delivered) {
      const result = validatorFor(event.detailType).safeParse(event.detail);
      expect(result.success, `${event.detailType}: ${JSON.stringify(result.error?.issues?.slice(0, 3))}`).toBe(true);
      // EventBridge: 256 KB per entry, detail included.
      expect(Buffer.byteLength(JSON.stringify(event.detail))).toBeLessThan(64 * 1024);
    }
  });

  it('rejects a detail that drifts (the validator can fail)', () => {
    expect(validatorFor(DETAIL_TYPE_MESSAGE_STORED).safeParse({ schemaVersion: 1 }).success).toBe(false);
  });
});
