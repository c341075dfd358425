/**
 * The sync core's parse step against the memory ports: a parse-enabled poll stores message.json
 * and attachments beside the raw message and announces them in Message Stored; a message that
 * does not parse, or whose parsed objects cannot be stored, is still stored, announced and
 * deleted per policy, with a Message Parse Failed beside it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attachmentKey, messageJsonKey, type ParsedSummary } from '../../lambda/parse/index.js';
import { DETAIL_TYPE_MESSAGE_PARSE_FAILED, DETAIL_TYPE_MESSAGE_STORED } from '../../lambda/sync/events.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import { PARSE_STORE_FAILED } from '../../lambda/sync/parse-step.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';
import { messageTooDeep, messageWithAttachment } from '../support/mime-samples.js';

const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {}, parse: { attachments: true } };

const withAttachment = (n: number, attachment: Buffer, filename?: string): string => messageWithAttachment(n, attachment, filename).toString('latin1');
const tooDeep = (): string => messageTooDeep().toString('latin1');

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('parse wiring: stored full messages are parsed, never at the raw message\'s expense', () => {
  it('stores message.json and the attachment under the message prefix and announces them in Message Stored', async () => {
    // Prepare: one small (buffered) and one past inMemoryBodyBytes (streamed, parsed by reading back).
    const world = new MemoryWorld();
    const small = Buffer.from('%PDF-1.4 small invoice');
    const large = Buffer.alloc(3 * 1024 * 1024, 7);
    world.mailbox.add({ uid: 'small', text: withAttachment(1, small) }, { uid: 'large', text: withAttachment(2, large, '../../etc/passwd') });
    // Act
    const summary = await pollMailbox(policy, world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', stored: 2, deleted: 2 });
    const stored = world.publisher.delivered.filter((e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED);
    expect(stored).toHaveLength(2);
    for (const [event, bytes] of [[stored[0]!, small], [stored[1]!, large]] as const) {
      const key = event.detail.key as string;
      const parsed = event.detail.parsed as ParsedSummary;
      expect(parsed.attachments).toEqual([expect.objectContaining({ type: 'application/pdf', size: bytes.length, sha256: sha(bytes), key: attachmentKey(key, sha(bytes)) })]);
      expect(parsed.messageJson.key).toBe(messageJsonKey(key));
      expect(Buffer.from(world.parsed.objects.get(attachmentKey(key, sha(bytes)))!.body).equals(bytes)).toBe(true);
      const json = JSON.parse(Buffer.from(world.parsed.objects.get(messageJsonKey(key))!.body).toString('utf8')) as { text: string };
      expect(json.text).toContain('Please find the invoice attached.');
    }
    // The hostile filename is metadata only, never a key segment.
    expect((stored[1]!.detail.parsed as ParsedSummary).attachments[0]!.name).toBe('../../etc/passwd');
    expect([...world.parsed.objects.keys()].every((k) => !k.includes('passwd'))).toBe(true);
    expect(world.publisher.delivered.some((e) => e.detailType === DETAIL_TYPE_MESSAGE_PARSE_FAILED)).toBe(false);
  });

  it('parse-failure-blocks-delete: a message that does not parse is stored, announced, deleted, and gets Message Parse Failed', async () => {
    // Prepare
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'deep', text: tooDeep() }, { uid: 'fine', text: mailText(1) });
    // Act
    const summary = await pollMailbox(policy, world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', stored: 2, deleted: 2 });
    expect(world.mailbox.messages).toEqual([]);
    const failed = world.publisher.delivered.filter((e) => e.detailType === DETAIL_TYPE_MESSAGE_PARSE_FAILED);
    expect(failed).toHaveLength(1);
    const storedEvent = world.publisher.delivered.find((e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED && e.detail.uidHash === failed[0]!.detail.uidHash)!;
    expect(storedEvent.detail.parsed).toBeUndefined();
    expect(failed[0]!.detail).toMatchObject({ kind: 'parse-failed', reason: 'PARSE_TOO_DEEP', retryable: false, key: storedEvent.detail.key, sha256: storedEvent.detail.sha256 });
    expect(failed[0]!.id).not.toBe(storedEvent.id);
    expect(world.store.objects.has(storedEvent.detail.key as string)).toBe(true);
    expect(world.parsed.objects.has(messageJsonKey(storedEvent.detail.key as string))).toBe(false);
  });

  it('parse-sink-outage-loses-mail: a store failure while writing parsed objects neither loses the raw message nor blocks DELE', async () => {
    // Prepare: the first parsed put (the attachment) fails like an S3 500.
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'a', text: withAttachment(1, Buffer.from('attachment bytes')) });
    world.faults.failOn('parsed-put', 1);
    // Act
    const summary = await pollMailbox(policy, world.deps());
    // Assess: raw stored, announced, deleted; the failure is reported as retryable.
    expect(summary).toMatchObject({ status: 'ok', stored: 1, deleted: 1 });
    const failed = world.publisher.delivered.find((e) => e.detailType === DETAIL_TYPE_MESSAGE_PARSE_FAILED)!;
    expect(failed.detail).toMatchObject({ reason: PARSE_STORE_FAILED, retryable: true });
    expect(world.store.objects.size).toBe(1);
    expect(summary.warnings.join('\n')).toMatch(/could not be parsed/);
    // No second parse next poll: the message is known (and gone).
    const again = await pollMailbox(policy, world.deps());
    expect(again).toMatchObject({ status: 'ok', stored: 0 });
  });

  it('a refused Message Parse Failed alone is a warning: the message is still deleted, and the notice is not republished', async () => {
    // Prepare: EventBridge refuses every Message Parse Failed entry.
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'deep', text: tooDeep() });
    world.publisher.reject = (event) => event.detailType === DETAIL_TYPE_MESSAGE_PARSE_FAILED;
    // Act
    const summary = await pollMailbox(policy, world.deps());
    const again = await pollMailbox(policy, world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', stored: 1, deleted: 1, published: 1 });
    expect(summary.warnings.join('\n')).toMatch(/Message Parse Failed event was not acknowledged/);
    expect(again).toMatchObject({ status: 'ok', published: 0 });
    expect(world.publisher.delivered.filter((e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED)).toHaveLength(1);
  });

  it('keeps event ids deterministic: a rerun after a crash before publish announces the same ids', async () => {
    // Prepare: the process dies at publish; the rerun stores again (already-stored) and parses again.
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'a', text: withAttachment(1, Buffer.from('x')) }, { uid: 'deep', text: tooDeep() });
    const first = new MemoryWorld();
    first.mailbox.add({ uid: 'a', text: withAttachment(1, Buffer.from('x')) }, { uid: 'deep', text: tooDeep() });
    await pollMailbox(policy, first.deps());
    world.faults.failOn('publish', 1, 'kill');
    await pollMailbox(policy, world.deps());
    world.recover();
    // Act
    const rerun = await pollMailbox(policy, world.deps());
    // Assess
    expect(rerun).toMatchObject({ status: 'ok', alreadyStored: 2, deleted: 2 });
    const ids = (w: MemoryWorld): string[] => w.publisher.delivered.filter((e) => e.detailType !== 'Mailbox Polled').map((e) => e.id).sort();
    expect(ids(world)).toEqual(ids(first));
    expect(ids(world)).toHaveLength(3);
  });

  it('refuses a parse-enabled poll without a ParsedObjectStore (a wiring mistake, before any login)', async () => {
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'a', text: mailText(1) });
    const { parsed: _parsed, ...deps } = world.deps();
    const summary = await pollMailbox(policy, deps);
    expect(summary).toMatchObject({ status: 'failed', error: { code: 'SYNC_INVALID_POLICY' } });
    expect(world.faults.calls.get('open') ?? 0).toBe(0);
  });
});
