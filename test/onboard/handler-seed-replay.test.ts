/**
 * The Lambda handler's seed and replay actions end to end: the real handler against a private
 * Dovecot, the S3 API on loopback (replay reads objects back with ranged GETs) and a mocked
 * EventBridge. Replay re-publishes the poll's events with the same eventIds; a malformed action
 * event is a clear EVENT_INVALID answer, never a poll of every mailbox.
 */
import { PutEventsCommand, EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler, type HandlerResult } from '../../lambda/handler/index.js';
import { createHandlerRuntime } from '../../lambda/compose/handler-runtime.js';
import { makeMessage } from '../support/corpus.js';
import { DEFAULT_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startS3Server, testS3Client, type S3Server } from '../support/s3-server.js';
import { captureOutput, lambdaContext } from '../handler/support.js';

const BUCKET = 'pop3-ingest-onboard-test';
const eventBridge = mockClient(EventBridgeClient);
let published: PutEventsRequestEntry[] = [];
let dovecot: DovecotServer;
let s3: S3Server;
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<HandlerResult>;

beforeAll(async () => {
  [dovecot, s3] = await Promise.all([startDovecot(), startS3Server()]);
  await testS3Client(s3.endpoint).send(new CreateBucketCommand({ Bucket: BUCKET }));
  const config = {
    storage: { bucket: BUCKET },
    events: { busName: 'mail-bus' },
    mailboxes: [
      {
        id: 'alice', host: '127.0.0.1', port: dovecot.pop3sPort, tls: { mode: 'implicit', ca: dovecot.ca, servername: 'localhost' },
        auth: { user: 'alice', secret: { env: 'ALICE_PW' } },
      },
    ],
  };
  Object.assign(process.env, {
    POP3_INGEST_CONFIG: JSON.stringify(config),
    ALICE_PW: DEFAULT_USERS.find((u) => u.user === 'alice')?.password ?? '',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_SERVICE_NAME: 'pop3-ingest-test',
  });
  handler = createHandler(createHandlerRuntime(process.env));
});

afterAll(async () => {
  await Promise.allSettled([dovecot?.stop(), s3?.stop()]);
  eventBridge.restore();
});

beforeEach(() => {
  published = [];
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    const entries = input.Entries ?? [];
    published.push(...entries);
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `eb-${i}` })) };
  });
});

async function invoke(event: unknown): Promise<HandlerResult> {
  const { result, error } = await captureOutput(() => handler(event, lambdaContext()));
  if (error) throw error;
  return result as HandlerResult;
}

const storedIds = (entries: readonly PutEventsRequestEntry[]): string[] =>
  entries.filter((e) => e.DetailType === 'Message Stored').map((e) => (JSON.parse(e.Detail ?? '{}') as { eventId: string }).eventId).sort();

describe('handler actions seed and replay', () => {
  it('seed, then poll only the new mail, then replay it with the same eventIds and no POP3 session', async () => {
    // Prepare
    await dovecot.seed('alice', [makeMessage(1, 2_000), makeMessage(2, 3_000), makeMessage(3, 500)]);
    // Act: seed the three old messages, then two arrive and are polled
    const seeded = await invoke({ mailboxId: 'alice', action: 'seed' });
    await dovecot.seed('alice', [makeMessage(4, 1_000), makeMessage(5, 40_000)]);
    const polled = await invoke({ mailboxId: 'alice' });
    const original = storedIds(published);
    published = [];
    await dovecot.stop();
    const replayed = await invoke({ mailboxId: 'alice', action: 'replay' });
    const dryRun = await invoke({ mailboxId: 'alice', action: 'replay', dryRun: true });
    // Assess
    expect(seeded.seed).toMatchObject({ status: 'ok', seeded: 3 });
    expect(polled.summaries[0]).toMatchObject({ status: 'ok', newMessages: 2, stored: 2 });
    expect(original).toHaveLength(2);
    // Dovecot is stopped: any POP3 connection would have failed the replay.
    expect(replayed.replay).toMatchObject({ status: 'ok', matched: 5, published: 2, nothingStored: 3, missing: 0 });
    expect(storedIds(published)).toEqual(original);
    expect(dryRun.replay?.wouldPublish?.map((e) => e.id).sort()).toEqual(original);
    expect(storedIds(published)).toHaveLength(2);
  });

  it('a replay reports an object that is gone and publishes the rest', async () => {
    // Prepare: the state of the first test; remove one stored object
    const dry = await invoke({ mailboxId: 'alice', action: 'replay', dryRun: true });
    const key = dry.replay?.wouldPublish?.[0]?.key as string;
    await testS3Client(s3.endpoint).send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    // Act
    const result = await invoke({ mailboxId: 'alice', action: 'replay', from: '2020-01-01', to: '2999-12-31' });
    // Assess
    expect(result.replay).toMatchObject({ status: 'ok', published: 1, missing: 1, missingKeys: [goneKeyAsListed(key)] });
  });

  it.each([
    [{ mailboxId: 'alice', action: 'reseed' }, 'EVENT_INVALID', /unknown action/],
    [{ action: 'seed' }, 'EVENT_INVALID', /needs one configured mailbox/],
    [{ mailboxId: '*', action: 'replay' }, 'EVENT_INVALID', /needs one configured mailbox/],
    [{ mailboxId: 'alice', action: 'replay', from: 'last week' }, 'EVENT_INVALID', /ISO date/],
    [{ mailboxId: 'alice', action: 'replay', from: '2026-03-02', to: '2026-03-01' }, 'EVENT_INVALID', /not before/],
    [{ mailboxId: 'alice', action: 'replay', dryRun: 'yes' }, 'EVENT_INVALID', /dryRun/],
    [{ mailboxId: 'nobody', action: 'seed' }, 'MAILBOX_UNKNOWN', /nobody/],
  ])('refuses %j with %s', async (event, code, message) => {
    // Act
    const result = await invoke(event);
    // Assess
    expect(result.error).toMatchObject({ code, category: 'permanent', retryable: false });
    expect(result.error?.message).toMatch(message);
    expect(result.summaries).toEqual([]);
    expect(published).toEqual([]);
  });
});

/**
 * A key as a replay reports it when the object is gone: entries kept in the compact seen-state
 * hold half of the UID hash, so the key is named by that half and an ellipsis.
 */
function goneKeyAsListed(key: string): string {
  return `${key.slice(0, key.length - '.eml'.length - 32)}…`;
}
