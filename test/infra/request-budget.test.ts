/**
 * Threat: the bill grows faster than the mail (an extra S3 request per message, a state rewrite
 * per message, an idle mailbox that costs like a busy one). Runs the real sync core with the real
 * S3 adapters against an S3 API on loopback and counts every request by command. The figures
 * printed here are the ones docs/cost.md multiplies by list prices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { countRequests, type RequestCounter } from '../../lambda/adapters/aws-counter.js';
import { S3LeaseStore } from '../../lambda/adapters/s3/lease-store.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy, PollDependencies } from '../../lambda/sync/types.js';
import { mailText, MemoryWorld } from '../support/memory-ports.js';
import { startS3Server, testS3Client, type S3Server } from '../support/s3-server.js';

const BUCKET = 'request-budget';
const MESSAGES = 250;
const policy: MailboxPolicy = { id: 'budget', mode: 'full', delete: { kind: 'after-store' }, limits: {}, keyPrefix: 'mail/' };

let server: S3Server;
let client: S3Client;
let counter: RequestCounter;
const world = new MemoryWorld();

beforeAll(async () => {
  server = await startS3Server();
  client = testS3Client(server.endpoint);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  counter = countRequests(client);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

function deps(): PollDependencies {
  return {
    ...world.deps(),
    store: new S3MessageStore({ client, bucket: BUCKET }),
    state: new S3StateStore({ client, bucket: BUCKET, prefix: '' }),
    lease: new S3LeaseStore({ client, bucket: BUCKET, prefix: '' }),
  };
}

/** Runs one poll and returns the S3 requests and PutEvents entries/calls it made. */
async function measuredPoll(): Promise<{ s3: Record<string, number>; entries: number; publishCalls: number; status: string }> {
  for (const key of Object.keys(counter.counts)) delete counter.counts[key];
  const entriesBefore = world.publisher.delivered.length;
  const callsBefore = world.publisher.calls;
  const summary = await pollMailbox(policy, deps());
  return {
    s3: { ...counter.counts },
    entries: world.publisher.delivered.length - entriesBefore,
    publishCalls: world.publisher.calls - callsBefore,
    status: summary.status,
  };
}

describe('request budget per poll and per message (real S3 adapters, S3 API on loopback)', () => {
  it('costs one state GET and no write when a new mailbox is empty (no lease without work)', async () => {
    const poll = await measuredPoll();
    console.log('[request-budget] first poll, empty mailbox:', JSON.stringify(poll));
    expect(poll.status).toBe('ok');
    expect(poll.s3).toEqual({ GetObjectCommand: 1 });
    expect(poll.entries).toBe(1); // the "Mailbox Polled" summary
  });

  it(`stores ${MESSAGES} messages with one PUT each plus a state checkpoint every 100`, async () => {
    world.mailbox.add(...Array.from({ length: MESSAGES }, (_, i) => ({ uid: `uid-${i}`, text: mailText(i) })));
    const poll = await measuredPoll();
    console.log(`[request-budget] poll ingesting ${MESSAGES} messages (delete after-store):`, JSON.stringify(poll));
    expect(poll.status).toBe('ok');
    const puts = poll.s3.PutObjectCommand ?? 0;
    // 1 lease + MESSAGES objects + checkpoints (every 100 at this size) + final save
    // + the deleteSent save before DELE + the save after QUIT; a save is two PUTs (the
    // segment of what changed, then the manifest naming it).
    expect(puts).toBeLessThanOrEqual(1 + MESSAGES + 2 * (Math.ceil(MESSAGES / 100) + 3));
    // The state is read once to plan, and again under the lease before anything is written; the
    // lease is renewed right before the DELE (read it, write it with If-Match, read it back).
    expect(poll.s3.GetObjectCommand).toBe(2 + 2);
    expect(poll.entries).toBe(MESSAGES + 1);
    expect(poll.publishCalls).toBeLessThanOrEqual(Math.ceil(MESSAGES / 10) + 1);
    expect(world.mailbox.messages).toHaveLength(0);
  });

  it('costs the same as the first empty poll once the mailbox is idle again', async () => {
    await measuredPoll(); // prunes the deleted UIDs from the state (lease + one save)
    const poll = await measuredPoll();
    console.log('[request-budget] steady idle poll:', JSON.stringify(poll));
    expect(poll.s3).toEqual({ GetObjectCommand: 1 });
    expect(poll.entries).toBe(1);
  });
});
