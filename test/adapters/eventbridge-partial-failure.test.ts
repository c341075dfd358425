/**
 * Threats: PutEvents reports some entries failed inside a 200 and they are silently lost (then
 * the message is deleted without its event); or the whole batch is re-sent and consumers get
 * duplicates; or a batch over EventBridge's limits fails every event in it.
 */
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { entrySize, MAX_REQUEST_BYTES, planBatches } from '../../lambda/adapters/eventbridge/batching.js';
import { EventBridgePublisher } from '../../lambda/adapters/eventbridge/publisher.js';
import type { OutgoingEvent } from '../../lambda/sync/ports.js';

const client = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const eb = mockClient(client);
afterEach(() => eb.reset());

function events(count: number, detailBytes = 10): OutgoingEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `evt-${i}`,
    detailType: 'Message Stored',
    detail: { n: i, pad: 'x'.repeat(detailBytes) },
    time: new Date('2026-01-01T00:00:00Z'),
  }));
}

function publisher(maxAttempts = 4): EventBridgePublisher {
  return new EventBridgePublisher({ client, eventBusName: 'bus', source: 'pop3-ingest', maxAttempts, baseDelayMs: 1 });
}

/** Answers every PutEvents with success, except entries whose detail.n is in `failing` (per call). */
function answer(failing: (n: number, call: number) => string | undefined): void {
  let call = 0;
  eb.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    call += 1;
    const entries = (input.Entries ?? []).map((entry) => {
      const n = (JSON.parse(entry.Detail ?? '{}') as { n: number }).n;
      const code = failing(n, call);
      return code === undefined ? { EventId: `aws-${n}` } : { ErrorCode: code, ErrorMessage: 'nope' };
    });
    return { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries };
  });
}

function sentDetails(): number[][] {
  return eb.commandCalls(PutEventsCommand).map((call) => (call.args[0].input.Entries ?? []).map((e) => (JSON.parse(e.Detail ?? '{}') as { n: number }).n));
}

describe('EventBridgePublisher', () => {
  it('sends at most 10 entries per PutEvents and returns one ok result per event, in order', async () => {
    answer(() => undefined);

    const results = await publisher().publish(events(23));

    expect(sentDetails().map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(results.map((r) => r.id)).toEqual(events(23).map((e) => e.id));
    expect(results.every((r) => r.ok)).toBe(true);
    const first = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(first).toMatchObject({ EventBusName: 'bus', Source: 'pop3-ingest', DetailType: 'Message Stored' });
    expect(first.Time?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('splits batches so no request exceeds 256 KB as AWS counts it', async () => {
    answer(() => undefined);

    // Five events of ~100 KB: at most two fit in one request
    const results = await publisher().publish(events(5, 100_000));

    expect(sentDetails()).toEqual([[0, 1], [2, 3], [4]]);
    for (const call of eb.commandCalls(PutEventsCommand)) {
      const total = (call.args[0].input.Entries ?? []).reduce((sum, entry) => sum + entrySize(entry), 0);
      expect(total).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('counts entry size the documented way: 14 bytes for Time plus UTF-8 bytes of the strings', () => {
    expect(entrySize({ Time: new Date(), Source: 'src', DetailType: 'dt', Detail: '{"é":1}', Resources: ['arn:x'] })).toBe(14 + 3 + 2 + 8 + 5);
    expect(entrySize({ Source: 'src' })).toBe(3);
    expect(planBatches([0, 1, 2], [MAX_REQUEST_BYTES, 1, MAX_REQUEST_BYTES + 1])).toEqual([[0], [1]]);
  });

  it('retries only the entries that failed, and succeeds when they go through', async () => {
    // Prepare: entries 1 and 7 fail on the first call only
    answer((n, call) => (call === 1 && (n === 1 || n === 7) ? 'ThrottlingException' : undefined));

    // Act
    const results = await publisher().publish(events(9));

    // Assess
    expect(sentDetails()).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 7]]);
    expect(results.map((r) => r.ok)).toEqual(Array(9).fill(true));
  });

  it('gives up after maxAttempts with ok:false for the entries that kept failing, order preserved', async () => {
    answer((n) => (n === 2 ? 'InternalFailure' : undefined));

    const results = await publisher(3).publish(events(4));

    expect(sentDetails()).toEqual([[0, 1, 2, 3], [2], [2]]);
    expect(results.map((r) => [r.id, r.ok])).toEqual([['evt-0', true], ['evt-1', true], ['evt-2', false], ['evt-3', true]]);
    expect(results[2]!.error).toMatch(/3 attempts.*InternalFailure/);
  });

  it('does not retry an entry EventBridge rejected for good', async () => {
    answer((n) => (n === 0 ? 'MalformedDetail' : undefined));

    const results = await publisher().publish(events(2));

    expect(sentDetails()).toEqual([[0, 1]]);
    expect(results[0]).toMatchObject({ id: 'evt-0', ok: false, error: expect.stringMatching(/MalformedDetail/) });
    expect(results[1]!.ok).toBe(true);
  });

  it('fails an event too large for PutEvents with a clear error and still sends the others', async () => {
    answer(() => undefined);
    const batch = events(3);
    batch[1] = { ...batch[1]!, detail: { n: 1, pad: 'x'.repeat(MAX_REQUEST_BYTES) } };

    const results = await publisher().publish(batch);

    expect(sentDetails()).toEqual([[0, 2]]);
    expect(results[1]).toMatchObject({ ok: false, error: expect.stringMatching(/too large/) });
    expect(results[0]!.ok && results[2]!.ok).toBe(true);
  });

  it('retries a whole batch after a transient call failure, but not after a permanent one', async () => {
    const transient = new EventBridgeServiceException({ name: 'InternalException', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'boom' });
    eb.on(PutEventsCommand).rejectsOnce(transient).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    expect((await publisher().publish(events(2))).every((r) => r.ok)).toBe(true);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(2);

    eb.reset();
    const denied = new EventBridgeServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'denied' });
    eb.on(PutEventsCommand).rejects(denied);
    const results = await publisher().publish(events(2));
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(results[0]!.error).toMatch(/AccessDeniedException/);
  });

  it('returns an empty list for no events without calling AWS', async () => {
    expect(await publisher().publish([])).toEqual([]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
