/**
 * The AWS services the benchmark does not run for real, faked in-process and counted at the
 * SDK: EventBridge (PutEvents accepted, entries and 64 KB billing chunks counted) and Secrets
 * Manager (GetSecretValue answers the bench password). S3 is real (fauxqs on loopback) and is
 * counted with lambda/adapters/aws-counter.ts instead. EventBridge can also be served over HTTP
 * (eventbridge-http.ts) so its requests can go through the latency proxy.
 */
import { appendFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { chunksOf, PRICES } from './stats.js';

/** What the fakes saw so far. */
export interface FakeAwsCounts {
  putEventsCalls: number;
  entries: number;
  /** EventBridge billing units (each entry: one per started 64 KB). */
  eventChunks: number;
  entriesByType: Record<string, number>;
  secretsManagerCalls: number;
}

/** Installed fakes: live counts, and restore() to put the real clients back. */
export interface FakeAws {
  counts: FakeAwsCounts;
  restore(): void;
}

/** Zeroed counts. */
export function emptyCounts(): FakeAwsCounts {
  return { putEventsCalls: 0, entries: 0, eventChunks: 0, entriesByType: {}, secretsManagerCalls: 0 };
}

/**
 * Counts one accepted PutEvents call into `counts` and returns the uidHash of each "Message
 * Stored" entry (appended to `storedLog` when set, one line each) so a later check can prove
 * every message was published. Shared by the in-process fake and the HTTP one.
 */
export function recordPutEvents(counts: FakeAwsCounts, entries: readonly PutEventsRequestEntry[], storedLog?: string): void {
  counts.putEventsCalls += 1;
  const stored: string[] = [];
  for (const entry of entries) {
    counts.entries += 1;
    const type = entry.DetailType ?? '?';
    counts.entriesByType[type] = (counts.entriesByType[type] ?? 0) + 1;
    // EventBridge bills each 64 KB chunk of an entry as one event (the whole entry, as sent).
    counts.eventChunks += chunksOf(Buffer.byteLength(JSON.stringify(entry)), PRICES.eventBridgeChunkBytes);
    if (type === 'Message Stored' && entry.Detail !== undefined) {
      const detail = JSON.parse(entry.Detail) as { uidHash?: string };
      if (detail.uidHash !== undefined) stored.push(detail.uidHash);
    }
  }
  if (storedLog !== undefined && stored.length > 0) appendFileSync(storedLog, `${stored.join('\n')}\n`);
}

/**
 * Fakes Secrets Manager, and EventBridge unless `eventBridge` is 'http' (the client then talks
 * to AWS_ENDPOINT_URL_EVENTBRIDGE, e.g. eventbridge-http.ts, which counts instead), for every
 * client of this process. `secret` is what GetSecretValue returns; `storedLog`: see
 * recordPutEvents.
 */
export function installFakeAws(secret: string, storedLog?: string, eventBridge: 'in-process' | 'http' = 'in-process'): FakeAws {
  const counts = emptyCounts();
  const secretsManager = mockClient(SecretsManagerClient);
  const eventBridgeMock = eventBridge === 'in-process' ? mockClient(EventBridgeClient) : undefined;
  eventBridgeMock?.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    const entries = input.Entries ?? [];
    recordPutEvents(counts, entries, storedLog);
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `bench-${counts.putEventsCalls}-${i}` })) };
  });
  secretsManager.on(GetSecretValueCommand).callsFake(() => {
    counts.secretsManagerCalls += 1;
    return { SecretString: secret, VersionId: 'bench-1' };
  });
  return {
    counts,
    restore() {
      eventBridgeMock?.restore();
      secretsManager.restore();
    },
  };
}
